package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"flowlens/auth"
	"flowlens/models"
)

// persistedQueries implements automatic persisted queries (Apollo's
// protocol, version 1: extensions.persistedQuery {version, sha256Hash}),
// kept per account: a hash that one account's users sent with its query
// runs only for that account. For every other account it is unknown
// (PERSISTED_QUERY_NOT_FOUND, as for a hash nobody sent), so the cache
// tells no tenant which documents another sends. Every malformed use is a
// request error with its own code, never an internal one.
type persistedQueries struct {
	cache graphql.Cache[string]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = persistedQueries{}

func (persistedQueries) ExtensionName() string { return "PersistedQueries" }

func (persistedQueries) Validate(graphql.ExecutableSchema) error { return nil }

// sha256Hex is what a persisted query's hash looks like.
var sha256Hex = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

func init() {
	for _, code := range []models.Code{models.CodePersistedQueryMismatch, models.CodePersistedQueryVersion, models.CodePersistedQueryInvalid} {
		errcode.RegisterErrorType(string(code), errcode.KindProtocol)
	}
}

// MutateOperationParameters looks the query of a hash up, or stores the
// query sent with its hash, under the viewer's account.
func (p persistedQueries) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	ext, ok := raw.Extensions["persistedQuery"]
	if !ok || ext == nil {
		return nil
	}
	obj, ok := ext.(map[string]any)
	if !ok {
		return codedError(models.CodePersistedQueryInvalid, "extensions.persistedQuery must be an object with version 1 and sha256Hash")
	}
	if !isOne(obj["version"]) {
		v := "missing"
		if n, ok := obj["version"].(json.Number); ok {
			v = n.String()
		} else if obj["version"] != nil {
			v = "not a number"
		}
		return codedError(models.CodePersistedQueryVersion, "persistedQuery.version %.20s is not supported: the only version is 1", v)
	}
	hash, _ := obj["sha256Hash"].(string)
	if !sha256Hex.MatchString(hash) {
		return codedError(models.CodePersistedQueryInvalid, "persistedQuery.sha256Hash must be the SHA-256 of the query in 64 hexadecimal digits")
	}
	hash = strings.ToLower(hash)
	u := auth.Viewer(ctx)
	if raw.Query == "" {
		q, found := "", false
		if u != nil {
			q, found = p.cache.Get(ctx, u.AccountID.String()+":"+hash)
		}
		if !found {
			// The message Apollo's clients look for to send the query.
			return codedError(models.CodePersistedQueryNotFound, "PersistedQueryNotFound")
		}
		raw.Query = q
		return nil
	}
	if sum := sha256.Sum256([]byte(raw.Query)); hex.EncodeToString(sum[:]) != hash {
		return codedError(models.CodePersistedQueryMismatch, "persistedQuery.sha256Hash is not the SHA-256 of the query sent with it")
	}
	if u != nil {
		p.cache.Add(ctx, u.AccountID.String()+":"+hash, raw.Query)
	}
	return nil
}

// isOne reports whether a JSON value is the number 1.
func isOne(v any) bool {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return err == nil && f == 1
	case float64:
		return n == 1
	}
	return false
}

// codedError is a request error with code.
func codedError(code models.Code, format string, a ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, a...), Extensions: map[string]any{"code": string(code)}}
}
