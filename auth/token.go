// Package auth turns a bearer token into the request's viewer: it verifies
// the HS256 JWT of the main application, loads the user it names, refuses
// unknown and inactive users with one UNAUTHENTICATED error that never
// says which check failed, and carries the viewer in the request context.
// It also mints tokens for development. The HTTP layer (httpapi) answers
// its errors.
package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// leeway is the clock skew tolerated on exp, nbf and iat.
const leeway = 30 * time.Second

// MaxTokenLen bounds the length of a bearer token that is parsed at all.
const MaxTokenLen = 8 << 10

// Verifier checks bearer tokens.
type Verifier struct {
	secret   []byte
	issuer   string
	audience string
}

// NewVerifier returns a Verifier for HS256 tokens signed with secret; a
// non-empty issuer or audience must then match the token's.
func NewVerifier(secret, issuer, audience string) *Verifier {
	return &Verifier{secret: []byte(secret), issuer: issuer, audience: audience}
}

// errInvalid is the cause of every rejected token; callers answer all of them
// with the same UNAUTHENTICATED error.
var errInvalid = errors.New("invalid token")

// Verify returns the user id (`sub`) of a valid token. Only HS256 is
// accepted, `exp` is required, and the key never depends on the token's
// header (kid, jku, jwk and x5u are ignored).
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
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return v.secret, nil }, opts...)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%w: %v", errInvalid, err)
	}
	id, err := uuid.Parse(claims.Subject)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%w: sub is not a UUID", errInvalid)
	}
	return id, nil
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
