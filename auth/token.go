// Package auth turns a bearer token into the request's viewer: it verifies
// the HS256 JWT of the main application, loads the user it names, rejects
// unknown and inactive users with HTTP 401, and puts the viewer in the
// request context. It also mints tokens for development.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 30 * time.Second

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
		jwt.WithLeeway(Leeway),
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
