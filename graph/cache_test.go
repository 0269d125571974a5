package graph

import (
	"context"
	"strings"
	"testing"
)

func TestCachesKeepShortDocuments(t *testing.T) {
	m := map[string]string{}
	c := boundedCache[string]{mapCache(m), persistedLen}
	c.Add(context.Background(), "short", "{ viewer { id } }")
	c.Add(context.Background(), "long", "{ viewer { id } }"+strings.Repeat(" ", maxCachedQueryBytes))
	if _, ok := m["short"]; !ok || len(m) != 1 {
		t.Errorf("cache holds %d entries: %v", len(m), m)
	}
}

type mapCache map[string]string

func (m mapCache) Get(_ context.Context, k string) (string, bool) { v, ok := m[k]; return v, ok }
func (m mapCache) Add(_ context.Context, k, v string)             { m[k] = v }
