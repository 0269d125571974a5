package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"flowlens/auth"
)

const (
	tokenSecret = "token-test-secret-0123456789abcdef"
	otherSecret = "another-secret-of-at-least-32-bytes!"
)

var tokenUser = uuid.MustParse("a1000000-0000-4000-8000-000000000001")

// sign signs claims with method and key, after setting the header fields
// of header, nil deleting one (alg too: the signature stays method's).
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims are valid claims for tokenUser: issued a minute ago, expiring in
// an hour.
func claims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"sub": tokenUser.String(), "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
}

// with returns claims with changes; a nil value deletes the claim.
func with(c jwt.MapClaims, changes jwt.MapClaims) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// hs256 is a token signed HS256 with the test secret.
func hs256(t *testing.T, c jwt.Claims) string {
	return sign(t, jwt.SigningMethodHS256, []byte(tokenSecret), c, nil)
}

// check verifies tok with v: it must give tokenUser when ok, else an error
// and no user.
func check(t *testing.T, v *auth.Verifier, name, tok string, ok bool) {
	t.Helper()
	id, err := v.Verify(tok)
	switch {
	case ok && (err != nil || id != tokenUser):
		t.Errorf("%s: refused (%v, %s), want accepted", name, err, id)
	case !ok && (err == nil || id != uuid.Nil):
		t.Errorf("%s: accepted as %s, want refused", name, id)
	}
}

// TestVerifyAlgorithms: only HS256 under the configured secret; every
// other algorithm, alg none in any spelling, and a header that names
// another algorithm over an HMAC signature are refused.
func TestVerifyAlgorithms(t *testing.T) {
	v := auth.NewVerifier(tokenSecret, "", "")
	c := claims()
	check(t, v, "HS256", hs256(t, c), true)

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	none := jwt.UnsafeAllowNoneSignatureType
	for name, tok := range map[string]string{
		"HS256 under another secret":    sign(t, jwt.SigningMethodHS256, []byte(otherSecret), c, nil),
		"HS384 under the secret":        sign(t, jwt.SigningMethodHS384, []byte(tokenSecret), c, nil),
		"HS512 under the secret":        sign(t, jwt.SigningMethodHS512, []byte(tokenSecret), c, nil),
		"RS256":                         sign(t, jwt.SigningMethodRS256, rsaKey, c, nil),
		"ES256":                         sign(t, jwt.SigningMethodES256, ecKey, c, nil),
		"alg none":                      sign(t, jwt.SigningMethodNone, none, c, nil),
		"alg NoNe":                      sign(t, jwt.SigningMethodNone, none, c, map[string]any{"alg": "NoNe"}),
		"alg NONE":                      sign(t, jwt.SigningMethodNone, none, c, map[string]any{"alg": "NONE"}),
		"alg none, HMAC signature":      sign(t, jwt.SigningMethodHS256, []byte(tokenSecret), c, map[string]any{"alg": "none"}),
		"alg RS256, HMAC signature":     sign(t, jwt.SigningMethodHS256, []byte(tokenSecret), c, map[string]any{"alg": "RS256"}),
		"alg ES256, HMAC signature":     sign(t, jwt.SigningMethodHS256, []byte(tokenSecret), c, map[string]any{"alg": "ES256"}),
		"alg hs256 (case), HMAC":        sign(t, jwt.SigningMethodHS256, []byte(tokenSecret), c, map[string]any{"alg": "hs256"}),
		"no alg, HMAC signature":        sign(t, jwt.SigningMethodHS256, []byte(tokenSecret), c, map[string]any{"alg": nil}),
		"HS256 under an empty secret":   sign(t, jwt.SigningMethodHS256, []byte{}, c, nil),
		"HS256 under the secret's tail": sign(t, jwt.SigningMethodHS256, []byte(tokenSecret[1:]), c, nil),
	} {
		check(t, v, name, tok, false)
	}
}

// TestVerifyClaims: exp is required, sub must be a UUID, and exp, nbf and
// iat are checked with 30 s of leeway on either side.
func TestVerifyClaims(t *testing.T) {
	v := auth.NewVerifier(tokenSecret, "", "")
	now := time.Now()
	// NumericDates are whole seconds: 28 s and 32 s stay on their side of
	// the 30 s leeway whatever the truncation and the test's own delay.
	for _, c := range []struct {
		name    string
		changes jwt.MapClaims
		ok      bool
	}{
		{"no exp", jwt.MapClaims{"exp": nil}, false},
		{"no iat", jwt.MapClaims{"iat": nil}, true},
		{"expired 28 s ago (within the leeway)", jwt.MapClaims{"exp": now.Add(-28 * time.Second).Unix()}, true},
		{"expired 32 s ago", jwt.MapClaims{"exp": now.Add(-32 * time.Second).Unix()}, false},
		{"expired a day ago", jwt.MapClaims{"exp": now.Add(-24 * time.Hour).Unix()}, false},
		{"not before 28 s from now (within the leeway)", jwt.MapClaims{"nbf": now.Add(28 * time.Second).Unix()}, true},
		{"not before 32 s from now", jwt.MapClaims{"nbf": now.Add(32 * time.Second).Unix()}, false},
		{"issued 28 s from now (within the leeway)", jwt.MapClaims{"iat": now.Add(28 * time.Second).Unix()}, true},
		{"issued 32 s from now", jwt.MapClaims{"iat": now.Add(32 * time.Second).Unix()}, false},
		{"exp not a number", jwt.MapClaims{"exp": "tomorrow"}, false},
		{"no sub", jwt.MapClaims{"sub": nil}, false},
		{"empty sub", jwt.MapClaims{"sub": ""}, false},
		{"sub not a UUID", jwt.MapClaims{"sub": "emile"}, false},
		{"sub a number", jwt.MapClaims{"sub": 42}, false},
		// Only the canonical form of a UUID: one user, one spelling.
		{"sub in upper case", jwt.MapClaims{"sub": strings.ToUpper(tokenUser.String())}, false},
		{"sub in braces", jwt.MapClaims{"sub": "{" + tokenUser.String() + "}"}, false},
		{"sub as a URN", jwt.MapClaims{"sub": "urn:uuid:" + tokenUser.String()}, false},
		{"sub without hyphens", jwt.MapClaims{"sub": strings.ReplaceAll(tokenUser.String(), "-", "")}, false},
		{"sub with a space", jwt.MapClaims{"sub": tokenUser.String() + " "}, false},
		// NumericDates are JSON numbers (RFC 7519 §2), not strings of digits.
		{"exp a string of digits", jwt.MapClaims{"exp": strconv.FormatInt(now.Add(time.Hour).Unix(), 10)}, false},
		{"iat a string of digits", jwt.MapClaims{"iat": strconv.FormatInt(now.Unix(), 10)}, false},
		{"nbf a string of digits", jwt.MapClaims{"nbf": strconv.FormatInt(now.Unix(), 10)}, false},
		{"exp a list", jwt.MapClaims{"exp": []any{1}}, false},
		{"exp with a fraction", jwt.MapClaims{"exp": float64(now.Add(time.Hour).Unix()) + 0.5}, true},
	} {
		check(t, v, c.name, hs256(t, with(claims(), c.changes)), c.ok)
	}
}

// TestVerifyLifetime: a token may be valid for at most the maximum
// lifetime (30 days by default): exp at most that far from now, and, when
// the token says when it was issued, at most that far after iat. The main
// application's 8-day tokens pass.
func TestVerifyLifetime(t *testing.T) {
	v := auth.NewVerifier(tokenSecret, "", "")
	now := time.Now()
	day := 24 * time.Hour
	for _, c := range []struct {
		name    string
		changes jwt.MapClaims
		ok      bool
	}{
		{"8 days, issued now", jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(8 * day).Unix()}, true},
		{"30 days, issued now", jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(30 * day).Unix()}, true},
		{"30 days and a minute, issued now", jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(30*day + time.Minute).Unix()}, false},
		{"exp in 30 days and a minute, no iat", jwt.MapClaims{"iat": nil, "exp": now.Add(30*day + time.Minute).Unix()}, false},
		{"exp in 29 days, no iat", jwt.MapClaims{"iat": nil, "exp": now.Add(29 * day).Unix()}, true},
		{"exp in year 9999", jwt.MapClaims{"exp": time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix()}, false},
		// Issued for 31 days, 30 of them gone: refused for its whole life.
		{"issued 30 days ago for 31 days", jwt.MapClaims{"iat": now.Add(-30 * day).Unix(), "exp": now.Add(day).Unix()}, false},
		{"issued 29 days ago for 30 days", jwt.MapClaims{"iat": now.Add(-29 * day).Unix(), "exp": now.Add(day).Unix()}, true},
	} {
		check(t, v, c.name, hs256(t, with(claims(), c.changes)), c.ok)
	}
	year9999 := hs256(t, with(claims(), jwt.MapClaims{"exp": time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix()}))
	check(t, auth.NewVerifier(tokenSecret, "", "", auth.WithMaxLifetime(0)), "exp in year 9999, no maximum", year9999, true)
	twoHours := hs256(t, with(claims(), jwt.MapClaims{"exp": now.Add(2 * time.Hour).Unix()}))
	check(t, auth.NewVerifier(tokenSecret, "", "", auth.WithMaxLifetime(time.Hour)), "2 hours, maximum 1 hour", twoHours, false)
	check(t, auth.NewVerifier(tokenSecret, "", "", auth.WithMaxLifetime(3*time.Hour)), "2 hours, maximum 3 hours", twoHours, true)
}

// TestVerifyCritical: a header with crit lists extensions the token's
// reader must understand (RFC 7515 §4.1.11); none is understood here, so
// any crit is refused, even on a token signed with the secret.
func TestVerifyCritical(t *testing.T) {
	v := auth.NewVerifier(tokenSecret, "", "")
	for name, header := range map[string]map[string]any{
		"crit naming an unknown extension": {"crit": []string{"http://example.com/ext"}, "http://example.com/ext": true},
		"crit b64 (RFC 7797)":              {"crit": []string{"b64"}, "b64": false},
		"crit empty":                       {"crit": []string{}},
		"crit not a list":                  {"crit": "exp"},
	} {
		check(t, v, name, sign(t, jwt.SigningMethodHS256, []byte(tokenSecret), claims(), header), false)
	}
}

// TestVerifyIssuerAudience: a configured issuer or audience must match the
// token's; unconfigured, the token's iss and aud do not matter.
func TestVerifyIssuerAudience(t *testing.T) {
	open := auth.NewVerifier(tokenSecret, "", "")
	strict := auth.NewVerifier(tokenSecret, "https://app.example", "flowlens")
	issOnly := auth.NewVerifier(tokenSecret, "https://app.example", "")
	for _, c := range []struct {
		name                 string
		changes              jwt.MapClaims
		open, strict, issuer bool
	}{
		{"iss and aud match", jwt.MapClaims{"iss": "https://app.example", "aud": "flowlens"}, true, true, true},
		{"aud a list holding ours", jwt.MapClaims{"iss": "https://app.example", "aud": []string{"other", "flowlens"}}, true, true, true},
		{"neither", nil, true, false, false},
		{"no aud", jwt.MapClaims{"iss": "https://app.example"}, true, false, true},
		{"no iss", jwt.MapClaims{"aud": "flowlens"}, true, false, false},
		{"another iss", jwt.MapClaims{"iss": "https://evil.example", "aud": "flowlens"}, true, false, false},
		{"iss differing in case", jwt.MapClaims{"iss": "https://APP.example", "aud": "flowlens"}, true, false, false},
		{"another aud", jwt.MapClaims{"iss": "https://app.example", "aud": "other"}, true, false, true},
		{"aud an empty list", jwt.MapClaims{"iss": "https://app.example", "aud": []string{}}, true, false, true},
	} {
		tok := hs256(t, with(claims(), c.changes))
		check(t, open, c.name+" (nothing configured)", tok, c.open)
		check(t, strict, c.name+" (issuer and audience configured)", tok, c.strict)
		check(t, issOnly, c.name+" (issuer configured)", tok, c.issuer)
	}
}

// TestVerifyTampering: a token whose header, payload or signature was
// changed after signing is refused, as are malformed and empty tokens.
func TestVerifyTampering(t *testing.T) {
	v := auth.NewVerifier(tokenSecret, "", "")
	good := hs256(t, claims())
	check(t, v, "the genuine token", good, true)
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString
	other := uuid.MustParse("b1000000-0000-4000-8000-000000000001")
	otherPayload := strings.Split(hs256(t, with(claims(), jwt.MapClaims{"sub": other.String()})), ".")[1]
	longer := strings.Split(hs256(t, with(claims(), jwt.MapClaims{"exp": time.Now().Add(1000 * time.Hour).Unix()})), ".")[1]
	flip := func(s string) string {
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	for name, tok := range map[string]string{
		"payload of another user":    parts[0] + "." + otherPayload + "." + parts[2],
		"payload with a later exp":   parts[0] + "." + longer + "." + parts[2],
		"payload byte changed":       parts[0] + "." + flip(parts[1]) + "." + parts[2],
		"header changed":             enc([]byte(`{"alg":"HS256","typ":"JWT","x":1}`)) + "." + parts[1] + "." + parts[2],
		"signature changed":          parts[0] + "." + parts[1] + "." + flip(parts[2]),
		"signature stripped":         parts[0] + "." + parts[1] + ".",
		"no signature part":          parts[0] + "." + parts[1],
		"signature of another token": parts[0] + "." + parts[1] + "." + strings.Split(hs256(t, with(claims(), jwt.MapClaims{"iat": nil})), ".")[2],
		"a fourth part":              good + ".x",
		"padded base64":              good + "=",
		"empty":                      "",
		"dots":                       "..",
		"garbage":                    "abc",
		"header not JSON":            enc([]byte("{alg:")) + "." + parts[1] + "." + parts[2],
	} {
		check(t, v, name, tok, false)
	}
}

// TestVerifyKeyHeaders: the key never depends on the token's header. Key
// hints (kid, jku, jwk, x5u) on a token signed with the secret change
// nothing; with them, a token signed with any other key is refused.
func TestVerifyKeyHeaders(t *testing.T) {
	v := auth.NewVerifier(tokenSecret, "", "")
	c := claims()
	attacker := []byte("attacker-secret-attacker-secret-attacker!")
	jwk := map[string]any{"kty": "oct", "k": base64.RawURLEncoding.EncodeToString(attacker)}
	for name, header := range map[string]map[string]any{
		"kid /dev/null":  {"kid": "../../../../../../dev/null"},
		"kid SQL":        {"kid": "' OR 1=1 --"},
		"kid unknown":    {"kid": "key-2099"},
		"jku":            {"jku": "http://127.0.0.1:1/keys.json", "kid": "k"},
		"x5u":            {"x5u": "http://127.0.0.1:1/cert.pem"},
		"embedded jwk":   {"jwk": jwk},
		"every key hint": {"kid": "k", "jku": "http://127.0.0.1:1/keys.json", "x5u": "http://127.0.0.1:1/cert.pem", "jwk": jwk},
	} {
		check(t, v, name+", signed with the secret", sign(t, jwt.SigningMethodHS256, []byte(tokenSecret), c, header), true)
		check(t, v, name+", signed with the attacker's key", sign(t, jwt.SigningMethodHS256, attacker, c, header), false)
	}
	check(t, v, "kid /dev/null, signed with an empty key", sign(t, jwt.SigningMethodHS256, []byte{}, c, map[string]any{"kid": "/dev/null"}), false)
}

// TestVerifyLength: a token of up to auth.MaxTokenLen bytes is verified; a
// longer one is refused before parsing, even when genuine.
func TestVerifyLength(t *testing.T) {
	v := auth.NewVerifier(tokenSecret, "", "")
	base := claims()
	padded := func(n int) string { return hs256(t, with(base, jwt.MapClaims{"pad": strings.Repeat("x", n)})) }
	// Grow the padding until the token passes the cap: the last token at
	// or under it and the first over it.
	var under, over string
	for n := auth.MaxTokenLen / 2; ; n++ {
		tok := padded(n)
		if len(tok) > auth.MaxTokenLen {
			over = tok
			break
		}
		under = tok
	}
	if len(under) < auth.MaxTokenLen-2 || len(over) > auth.MaxTokenLen+2 {
		t.Fatalf("tokens of %d and %d bytes do not straddle %d", len(under), len(over), auth.MaxTokenLen)
	}
	check(t, v, "a genuine token of "+strconv.Itoa(len(under))+" bytes", under, true)
	check(t, v, "a genuine token of "+strconv.Itoa(len(over))+" bytes", over, false)
	check(t, v, "a megabyte of dots", strings.Repeat(".", 1<<20), false)
}

// TestMint: Mint's tokens pass Verify with the same configuration and
// carry sub, iat, exp = iat + ttl, and iss and aud only when given.
func TestMint(t *testing.T) {
	for _, c := range []struct {
		name             string
		issuer, audience string
	}{{"no issuer, no audience", "", ""}, {"issuer and audience", "https://app.example", "flowlens"}} {
		tok, err := auth.Mint(tokenSecret, tokenUser, 2*time.Hour, c.issuer, c.audience)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		check(t, auth.NewVerifier(tokenSecret, c.issuer, c.audience), c.name, tok, true)
		check(t, auth.NewVerifier(otherSecret, c.issuer, c.audience), c.name+", other secret", tok, false)
		var got jwt.MapClaims
		parsed, err := jwt.ParseWithClaims(tok, &got, func(*jwt.Token) (any, error) { return []byte(tokenSecret), nil })
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if alg := parsed.Header["alg"]; alg != "HS256" {
			t.Errorf("%s: alg %v, want HS256", c.name, alg)
		}
		iat, _ := got.GetIssuedAt()
		exp, _ := got.GetExpirationTime()
		if got["sub"] != tokenUser.String() || iat == nil || exp == nil || exp.Sub(iat.Time) != 2*time.Hour ||
			time.Since(iat.Time) > time.Minute || time.Since(iat.Time) < -time.Second {
			t.Errorf("%s: claims %v; want sub %s, exp = iat + 2h, iat now", c.name, got, tokenUser)
		}
		aud, _ := got.GetAudience()
		_, hasIss := got["iss"]
		_, hasAud := got["aud"]
		if hasIss != (c.issuer != "") || hasAud != (c.audience != "") ||
			c.issuer != "" && (got["iss"] != c.issuer || !slices.Contains(aud, c.audience)) {
			t.Errorf("%s: claims %v; want iss %q, aud %q", c.name, got, c.issuer, c.audience)
		}
	}
	// A ttl that is already over gives a token that Verify refuses.
	tok, err := auth.Mint(tokenSecret, tokenUser, -time.Minute, "", "")
	if err != nil {
		t.Fatal(err)
	}
	check(t, auth.NewVerifier(tokenSecret, "", ""), "minted expired a minute ago", tok, false)
}
