package bench

import (
	"math/big"
	"strconv"
)

// roundRat rounds r half away from zero to places decimals, as
// PostgreSQL's round(numeric, places), and returns the nearest float64 (as
// the cast of the rounded numeric to float8 does).
func roundRat(r *big.Rat, places int) float64 {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(x.Denom()) >= 0 {
		q.Add(q, big.NewInt(int64(x.Sign())))
	}
	f, _ := new(big.Rat).SetFrac(q, scale).Float64()
	return f
}

// ratio is n/d rounded to places decimals, 0 when d is 0.
func ratio(n, d int, places int) float64 {
	if d == 0 {
		return 0
	}
	return roundRat(big.NewRat(int64(n), int64(d)), places)
}

// roundFloat rounds a float8 as round(x::numeric, places)::float8 does:
// the cast keeps 15 significant digits.
func roundFloat(x float64, places int) float64 {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', 15, 64))
	if !ok {
		return x
	}
	return roundRat(r, places)
}
