package demo

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/google/uuid"
)

// newRand returns a PCG generator for one purpose ("stream") of one account
// under seed, so every part of the data has its own reproducible sequence.
func newRand(seed int64, account int, stream uint64) *rand.Rand {
	hi := uint64(seed)*0x9E3779B97F4A7C15 + stream*0xD1B54A32D192ED03
	lo := uint64(account+1)*0xBF58476D1CE4E5B9 ^ stream*0x94D049BB133111EB ^ uint64(seed)
	return rand.New(rand.NewPCG(hi, lo))
}

// newID returns a random (version 4) UUID drawn from r.
func newID(r *rand.Rand) uuid.UUID {
	var id uuid.UUID
	a, b := r.Uint64(), r.Uint64()
	for i := range 8 {
		id[i] = byte(a >> (56 - 8*i))
		id[8+i] = byte(b >> (56 - 8*i))
	}
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

// weighted samples indexes in proportion to fixed weights.
type weighted struct{ cum []float64 }

func newWeighted(w []float64) weighted {
	cum := make([]float64, len(w))
	total := 0.0
	for i, x := range w {
		total += x
		cum[i] = total
	}
	return weighted{cum: cum}
}

// zipf returns weights 1/(rank+1)^s for n ranks.
func zipf(n int, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
	}
	return w
}

func (w weighted) pick(r *rand.Rand) int {
	if len(w.cum) == 0 {
		return -1
	}
	x := r.Float64() * w.cum[len(w.cum)-1]
	i := sort.SearchFloat64s(w.cum, x)
	if i >= len(w.cum) {
		i = len(w.cum) - 1
	}
	return i
}

// logNormal returns a log-normally distributed value with the given median.
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// between returns a uniform value in [lo, hi).
func between(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
