package store_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

// TestConnectionLimit: a superuser may open max_connections; the service's
// role (no CONNECTION LIMIT of its own) max_connections less the slots
// reserved for superusers.
func TestConnectionLimit(t *testing.T) {
	ctx := context.Background()
	owner, app := dbtest.NewApp(t)
	setting := func(name string) int {
		var v string
		if err := owner.QueryRowContext(ctx, "SHOW "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	maxConns, reserved := setting("max_connections"), setting("superuser_reserved_connections")
	for _, c := range []struct {
		name string
		db   *bun.DB
		want int
	}{{"owner (superuser)", owner, maxConns}, {"flowlens_app", app, maxConns - reserved}} {
		got, err := store.ConnectionLimit(ctx, c.db)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: limit %d, want %d (max_connections %d, reserved %d)", c.name, got, c.want, maxConns, reserved)
		}
	}
}
