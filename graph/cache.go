package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// maxCachedQueryBytes is the longest document the parsed-query and
// persisted-query caches keep: a handful of tokens may carry a string
// literal of nearly MaxBodyBytes, and a thousand of those would hold a
// gigabyte. Longer documents still run; they are parsed each time.
const maxCachedQueryBytes = 16 << 10

// boundedCache keeps only values whose key and value are short (see
// maxCachedQueryBytes) in an underlying cache.
type boundedCache[T any] struct {
	cache graphql.Cache[T]
	size  func(key string, v T) int
}

func (c boundedCache[T]) Get(ctx context.Context, key string) (T, bool) { return c.cache.Get(ctx, key) }

func (c boundedCache[T]) Add(ctx context.Context, key string, v T) {
	if c.size(key, v) <= maxCachedQueryBytes {
		c.cache.Add(ctx, key, v)
	}
}

// queryLen is the size of a parsed-query cache entry: its document's text.
func queryLen(key string, _ *ast.QueryDocument) int { return len(key) }

// persistedLen is the size of a persisted-query cache entry: hash and document.
func persistedLen(key string, v string) int { return len(key) + len(v) }
