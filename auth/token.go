// Package auth turns a bearer token into the request's viewer: it verifies
// the HS256 JWT of the main application, loads the user it names, refuses
// unknown and inactive users with one UNAUTHENTICATED error that never
// says which check failed, and carries the viewer in the request context.
// It also mints tokens for development. The HTTP layer (httpapi) answers
// its errors.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// leeway is the clock skew tolerated on exp, nbf and iat.
const leeway = 30 * time.Second

// MaxTokenLen bounds the length of a bearer token that is parsed at all.
const MaxTokenLen = 8 << 10

// DefaultMaxLifetime is the longest a token may still be valid unless
// configured otherwise: the main application's access tokens last days
// (FastAPI projects commonly issue 8-day ones), a token valid until year
// 9999 is a credential that never ends.
const DefaultMaxLifetime = 30 * 24 * time.Hour

// Verifier checks bearer tokens.
type Verifier struct {
	secret      []byte
	issuer      string
	audience    string
	maxLifetime time.Duration
}

// VerifierOption changes a Verifier's rules.
type VerifierOption func(*Verifier)

// WithMaxLifetime sets the longest lifetime of a token (0: none): its exp
// at most d after now, and, when it has an iat, at most d after that.
func WithMaxLifetime(d time.Duration) VerifierOption {
	return func(v *Verifier) { v.maxLifetime = d }
}

// NewVerifier returns a Verifier for HS256 tokens signed with secret; a
// non-empty issuer or audience must then match the token's. Tokens may
// last at most DefaultMaxLifetime unless an option says otherwise.
func NewVerifier(secret, issuer, audience string, opts ...VerifierOption) *Verifier {
	v := &Verifier{secret: []byte(secret), issuer: issuer, audience: audience, maxLifetime: DefaultMaxLifetime}
	for _, o := range opts {
		o(v)
	}
	return v
}

// DerivedKey returns a key for purpose derived from the JWT secret
// (HMAC-SHA256 of the purpose under the secret): other values the service
// signs, such as pagination cursors, need no secret of their own, and a key
// of one purpose reveals nothing of the secret or of another purpose's key.
// Rotating the secret rotates every derived key.
func (v *Verifier) DerivedKey(purpose string) []byte {
	m := hmac.New(sha256.New, v.secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// errInvalid is the cause of every rejected token; callers answer all of them
// with the same UNAUTHENTICATED error.
var errInvalid = errors.New("invalid token")

// Verify returns the user id (`sub`) of a valid token. Only HS256 is
// accepted; the key never depends on the token's header (kid, jku, jwk and
// x5u are ignored) and a header with `crit` is refused (RFC 7515
// §4.1.11: no extension is understood here); `exp` is required; exp, nbf
// and iat must be JSON numbers (RFC 7519 NumericDate, not strings); the
// token may not outlive the maximum lifetime; `sub` must be a UUID in its
// canonical form (lower case, hyphenated, nothing around it).
func (v *Verifier) Verify(token string) (uuid.UUID, error) {
	if token == "" || len(token) > MaxTokenLen {
		return uuid.Nil, errInvalid
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
	}
	if v.issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.issuer))
	}
	if v.audience != "" {
		opts = append(opts, jwt.WithAudience(v.audience))
	}
	c := &tokenClaims{}
	_, err := jwt.ParseWithClaims(token, c, func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			return nil, errors.New("crit header: no extension is understood")
		}
		return v.secret, nil
	}, opts...)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%w: %v", errInvalid, err)
	}
	if v.maxLifetime > 0 {
		exp := c.ExpiresAt.Time
		if exp.After(time.Now().Add(v.maxLifetime + leeway)) {
			return uuid.Nil, fmt.Errorf("%w: exp is more than %s from now", errInvalid, v.maxLifetime)
		}
		if c.IssuedAt != nil && exp.Sub(c.IssuedAt.Time) > v.maxLifetime {
			return uuid.Nil, fmt.Errorf("%w: exp is more than %s after iat", errInvalid, v.maxLifetime)
		}
	}
	id, err := uuid.Parse(c.Subject)
	if err != nil || id.String() != c.Subject {
		return uuid.Nil, fmt.Errorf("%w: sub is not a UUID in canonical form", errInvalid)
	}
	return id, nil
}

// tokenClaims are the registered claims Verify reads, with the dates
// strict (jwt.RegisteredClaims reads "exp": "1999999999" as a date).
type tokenClaims struct {
	Issuer    string           `json:"iss,omitempty"`
	Subject   string           `json:"sub,omitempty"`
	Audience  jwt.ClaimStrings `json:"aud,omitempty"`
	ExpiresAt *numericDate     `json:"exp,omitempty"`
	NotBefore *numericDate     `json:"nbf,omitempty"`
	IssuedAt  *numericDate     `json:"iat,omitempty"`
}

var _ jwt.Claims = (*tokenClaims)(nil)

func (c *tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt.date(), nil }
func (c *tokenClaims) GetNotBefore() (*jwt.NumericDate, error)      { return c.NotBefore.date(), nil }
func (c *tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt.date(), nil }
func (c *tokenClaims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *tokenClaims) GetSubject() (string, error)                  { return c.Subject, nil }
func (c *tokenClaims) GetAudience() (jwt.ClaimStrings, error)       { return c.Audience, nil }

// numericDate is a NumericDate written as a JSON number, and only so.
type numericDate struct{ jwt.NumericDate }

func (d *numericDate) UnmarshalJSON(b []byte) error {
	if s := strings.TrimSpace(string(b)); s == "" || !(s[0] == '-' || '0' <= s[0] && s[0] <= '9') {
		return errors.New("a NumericDate must be a JSON number")
	}
	return d.NumericDate.UnmarshalJSON(b)
}

// date returns the date, or nil.
func (d *numericDate) date() *jwt.NumericDate {
	if d == nil {
		return nil
	}
	return &d.NumericDate
}

// Mint returns a signed HS256 token for user id, valid for ttl, with the
// given issuer and audience when not empty.
func Mint(secret string, id uuid.UUID, ttl time.Duration, issuer, audience string) (string, error) {
	now := time.Now()
	claims := jwt.RegisteredClaims{
		Subject:   id.String(),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		Issuer:    issuer,
	}
	if audience != "" {
		claims.Audience = jwt.ClaimStrings{audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
}
