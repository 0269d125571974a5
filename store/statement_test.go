package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"flowlens/store"
)

// TestOneRoundTripStatement: a statement of inAccountStatement (how the
// rollup functions are called) runs with the row-level-security setting,
// the tuning and read-only in force from its first row on, and none of
// them outlives it on the pooled connection.
func TestOneRoundTripStatement(t *testing.T) {
	owner, st, _ := rlsEnv(t, store.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	ctx := context.Background()
	// Each account sees its own sessions only, though the SQL names none.
	seen := func(from, account string) string {
		return "SELECT s.n FROM " + from + "(SELECT count(*) AS n FROM sessions WHERE " + account + " IS NOT NULL) AS s"
	}
	for _, acc := range []uuid.UUID{rlsA, rlsB} {
		var n []int
		if err := store.InAccountStatement(st, ctx, acc, seen, nil, &n); err != nil {
			t.Fatal(err)
		}
		if want := rlsWant[acc]["sessions"]; len(n) != 1 || n[0] != want {
			t.Errorf("account %s: %v sessions, want %d", acc, n, want)
		}
	}
	// The settings while it runs.
	var in []struct {
		Account  string `bun:"account"`
		JIT      string `bun:"jit"`
		WorkMem  string `bun:"work_mem"`
		ReadOnly string `bun:"read_only"`
	}
	show := func(from, account string) string {
		return "SELECT s.* FROM " + from + "(SELECT current_setting('flowlens.account_id') AS account, current_setting('jit') AS jit," +
			" current_setting('work_mem') AS work_mem, current_setting('transaction_read_only') AS read_only WHERE " + account + " IS NOT NULL) AS s"
	}
	if err := store.InAccountStatement(st, ctx, rlsA, show, nil, &in); err != nil {
		t.Fatal(err)
	}
	if len(in) != 1 || in[0].Account != rlsA.String() || in[0].JIT != "off" || in[0].WorkMem != "64MB" || in[0].ReadOnly != "on" {
		t.Errorf("settings inside the statement: %+v; want the account, jit off, work_mem 64MB, read-only", in)
	}
	// The pool's one connection afterwards: nothing left of them.
	var account, workMem, readOnly string
	if err := st.DB().QueryRow("SELECT current_setting('flowlens.account_id', true), current_setting('work_mem'), current_setting('transaction_read_only')").
		Scan(&account, &workMem, &readOnly); err != nil {
		t.Fatal(err)
	}
	if account != "" || workMem == "64MB" || readOnly != "off" {
		t.Errorf("after the statement the connection has account %q, work_mem %s, transaction_read_only %s", account, workMem, readOnly)
	}
	// Read-only: a write inside fails, even as the tables' owner.
	if _, err := owner.Exec("CREATE SEQUENCE statement_test_seq"); err != nil {
		t.Fatal(err)
	}
	write := func(from, account string) string {
		return "SELECT s.n FROM " + from + "(SELECT nextval('statement_test_seq') AS n WHERE " + account + " IS NOT NULL) AS s"
	}
	var n []int64
	err := store.InAccountStatement(store.New(owner), ctx, rlsA, write, nil, &n)
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || pg.Code != "25006" {
		t.Errorf("a write in the statement: %v, %v; want read_only_sql_transaction (25006)", n, err)
	}
}
