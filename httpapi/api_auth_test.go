package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signHS signs claims with method and key.
func signHS(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// forge builds a token with any header, signed HMAC-SHA256 with secret:
// what an attacker who knows the public key material would try for
// algorithm confusion, and what a lax verifier might accept.
func forge(t *testing.T, header, claims map[string]any, secret string) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	unsigned := enc(header) + "." + enc(claims)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(unsigned))
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// TestAPIAuthentication sends every kind of bad credential and expects the
// same HTTP 401 body, with code UNAUTHENTICATED, for all of them.
func TestAPIAuthentication(t *testing.T) {
	e := newEnv(t, apiEnv)
	now := time.Now()
	claims := func(sub string, exp time.Time) jwt.RegisteredClaims {
		return jwt.RegisteredClaims{Subject: sub, IssuedAt: jwt.NewNumericDate(now.Add(-time.Hour)), ExpiresAt: jwt.NewNumericDate(exp)}
	}
	valid := claims(uEmile, now.Add(time.Hour))
	const q = `{ viewer { id } }`

	// The valid token works.
	good := signHS(t, jwt.SigningMethodHS256, []byte(testSecret), valid)
	res := e.post(t, "Bearer "+good, q, nil)
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("valid token refused: %d %s", res.Status, res.Body)
	}
	assertJSON(t, res.Data, `{"viewer":{"id":"`+uEmile+`"}}`)

	cases := map[string]string{
		"missing header":      "",
		"not a bearer scheme": "Basic " + base64.StdEncoding.EncodeToString([]byte("emile:secret")),
		"empty bearer":        "Bearer ",
		"malformed token":     "Bearer not.a.jwt",
		"garbage":             "Bearer abc",
		"expired beyond leeway": "Bearer " + signHS(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(uEmile, now.Add(-2*time.Minute))),
		"wrongly signed":              "Bearer " + signHS(t, jwt.SigningMethodHS256, []byte("another-secret-of-at-least-32-bytes!!"), valid),
		"alg none":                    "Bearer " + signHS(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid),
		"HS512 with the right secret": "Bearer " + signHS(t, jwt.SigningMethodHS512, []byte(testSecret), valid),
		"HS384 with the right secret": "Bearer " + signHS(t, jwt.SigningMethodHS384, []byte(testSecret), valid),
		"RS256 header, HMAC signature": "Bearer " + forge(t, map[string]any{"alg": "RS256", "typ": "JWT"},
			map[string]any{"sub": uEmile, "exp": now.Add(time.Hour).Unix()}, testSecret),
		"ES256 header, HMAC signature": "Bearer " + forge(t, map[string]any{"alg": "ES256", "typ": "JWT"},
			map[string]any{"sub": uEmile, "exp": now.Add(time.Hour).Unix()}, testSecret),
		"no exp": "Bearer " + signHS(t, jwt.SigningMethodHS256, []byte(testSecret),
			jwt.RegisteredClaims{Subject: uEmile, IssuedAt: jwt.NewNumericDate(now)}),
		"sub not a UUID": "Bearer " + signHS(t, jwt.SigningMethodHS256, []byte(testSecret), claims("emile", now.Add(time.Hour))),
		"no sub":         "Bearer " + signHS(t, jwt.SigningMethodHS256, []byte(testSecret), claims("", now.Add(time.Hour))),
		"unknown user": "Bearer " + signHS(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims("99999999-9999-4999-8999-999999999999", now.Add(time.Hour))),
		"inactive user":      "Bearer " + signHS(t, jwt.SigningMethodHS256, []byte(testSecret), claims(uIvan, now.Add(time.Hour))),
		"signature stripped": "Bearer " + good[:bytes.LastIndexByte([]byte(good), '.')+1],
	}
	var first []byte
	var message string
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			res := e.post(t, h, q, nil)
			if res.Status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", res.Status, res.Body)
			}
			var body struct {
				Errors []struct {
					Message    string         `json:"message"`
					Extensions map[string]any `json:"extensions"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(res.Body, &body); err != nil || len(body.Errors) != 1 {
				t.Fatalf("body is not one GraphQL error: %s", res.Body)
			}
			var shape map[string]any
			_ = json.Unmarshal(res.Body, &shape)
			if len(shape) != 1 || len(body.Errors[0].Extensions) != 1 || body.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
				t.Errorf("body is not {\"errors\":[{message, extensions:{code: UNAUTHENTICATED}}]}: %s", res.Body)
			}
			if message == "" {
				message = body.Errors[0].Message
				first = res.Body
			}
			if body.Errors[0].Message != message || !bytes.Equal(res.Body, first) {
				t.Errorf("401 bodies differ:\n%s\n%s", res.Body, first)
			}
			if message == "" {
				t.Error("empty message")
			}
		})
	}

	// Every query needs authentication, not just viewer.
	for _, q := range []string{teamQuery, myQuery} {
		res := e.post(t, "", q, windowW())
		if res.Status != http.StatusUnauthorized || !bytes.Equal(res.Body, first) {
			t.Errorf("unauthenticated query answered %d %s", res.Status, res.Body)
		}
	}
	res = e.post(t, "Bearer "+signHS(t, jwt.SigningMethodHS256, []byte(testSecret), claims(uIvan, now.Add(time.Hour))),
		flowQuery, with(windowW(), "tree", tCheckout))
	if res.Status != http.StatusUnauthorized || !bytes.Equal(res.Body, first) {
		t.Errorf("inactive user's flow query answered %d %s", res.Status, res.Body)
	}
}

// TestDuplicateAuthorizationHeaders: a request with two Authorization
// headers is answered 401, not as the first one's user.
func TestDuplicateAuthorizationHeaders(t *testing.T) {
	e := newEnv(t, smallEnv.with(noRateLimit))
	req := e.request(t, "POST", "/query", "application/json", "", strings.NewReader(`{"query":"{ viewer { accountId } }"}`))
	req.Header.Add("Authorization", "Bearer "+token(t, small.AdminA))
	req.Header.Add("Authorization", "Bearer "+token(t, small.AdminB))
	e.counter.Reset()
	r := e.do(t, req)
	if r.Status != 401 || r.code(0) != "UNAUTHENTICATED" || r.hasData() || e.counter.Count() != 0 {
		t.Errorf("two Authorization headers: %d %s, %d statements", r.Status, r.Body, e.counter.Count())
	}
}
