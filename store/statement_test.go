package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"flowlens/store"
)

// TestOneRoundTripStatement: a statement of inAccountStatement (how the
// rollup functions are called) runs a PL/pgSQL function like theirs with
// the row-level-security account, the tuning and read-only in force when
// the function runs, and none of them outlives it on the pooled
// connection.
func TestOneRoundTripStatement(t *testing.T) {
	owner, st, _ := rlsEnv(t, store.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	ctx := context.Background()
	if _, err := owner.Exec(`CREATE FUNCTION statement_test_probe(p_account uuid) RETURNS TABLE (n bigint, account text, jit text, work_mem text, read_only text)
		LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
		BEGIN
		RETURN QUERY SELECT count(*), current_setting('flowlens.account_id'), current_setting('jit'), current_setting('work_mem'), current_setting('transaction_read_only')
			FROM sessions WHERE p_account IS NOT NULL;
		END $$`); err != nil {
		t.Fatal(err)
	}
	probe := func(from, account string) string {
		return "SELECT s.* FROM " + from + "statement_test_probe(" + account + ") AS s"
	}
	for _, acc := range []uuid.UUID{rlsA, rlsB, rlsA} {
		var rows []struct {
			N        int    `bun:"n"`
			Account  string `bun:"account"`
			JIT      string `bun:"jit"`
			WorkMem  string `bun:"work_mem"`
			ReadOnly string `bun:"read_only"`
		}
		if err := store.InAccountStatement(st, ctx, acc, probe, nil, &rows); err != nil {
			t.Fatal(err)
		}
		// Each account sees its own sessions only, though the SQL names none.
		if want := rlsWant[acc]["sessions"]; len(rows) != 1 || rows[0].N != want || rows[0].Account != acc.String() {
			t.Fatalf("account %s: %+v, want %d sessions of that account", acc, rows, want)
		}
		if r := rows[0]; r.JIT != "off" || r.WorkMem != "64MB" || r.ReadOnly != "on" {
			t.Errorf("settings inside the function: %+v; want jit off, work_mem 64MB, read-only", r)
		}
		// The pool's one connection afterwards: nothing left of them.
		var account, jit, workMem, readOnly string
		if err := st.DB().QueryRow("SELECT current_setting('flowlens.account_id', true), current_setting('jit'), current_setting('work_mem'), current_setting('transaction_read_only')").
			Scan(&account, &jit, &workMem, &readOnly); err != nil {
			t.Fatal(err)
		}
		if account != "" || jit == "off" || workMem == "64MB" || readOnly != "off" {
			t.Errorf("after the statement the connection has account %q, jit %s, work_mem %s, transaction_read_only %s", account, jit, workMem, readOnly)
		}
	}
	// Read-only: a write inside fails, even as the tables' owner.
	if _, err := owner.Exec(`CREATE SEQUENCE statement_test_seq;
		CREATE FUNCTION statement_test_write(p_account uuid) RETURNS SETOF bigint LANGUAGE sql VOLATILE AS $$ SELECT nextval('statement_test_seq') WHERE p_account IS NOT NULL $$`); err != nil {
		t.Fatal(err)
	}
	write := func(from, account string) string {
		return "SELECT s.n FROM " + from + "statement_test_write(" + account + ") AS s(n)"
	}
	var n []int64
	err := store.InAccountStatement(store.New(owner), ctx, rlsA, write, nil, &n)
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || pg.Code != "25006" {
		t.Errorf("a write in the statement: %v, %v; want read_only_sql_transaction (25006)", n, err)
	}
}

// TestOneRoundTripStatementRetried: a statement of inAccountStatement
// whose backend is terminated while it runs runs again on another
// connection and answers; a statement error is returned, not retried.
func TestOneRoundTripStatementRetried(t *testing.T) {
	owner, st, _ := rlsEnv(t, store.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	ctx := context.Background()
	// The statement sleeps until the flag is set, which happens just
	// before its backend is terminated: its second run answers at once.
	if _, err := owner.Exec(`CREATE TABLE statement_test_flag (set boolean); GRANT SELECT ON statement_test_flag TO flowlens_app;
		CREATE FUNCTION statement_test_sleepy(p_account uuid) RETURNS TABLE (n bigint, slept integer) LANGUAGE sql STABLE AS $$
			SELECT (SELECT count(*) FROM sessions), (SELECT 1 FROM pg_sleep(5) WHERE NOT EXISTS (SELECT FROM statement_test_flag)) WHERE p_account IS NOT NULL $$`); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var killed int
	go func() {
		defer close(done)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			var n int
			if err := owner.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE usename = 'flowlens_app' AND datname = current_database()
				AND state = 'active' AND query LIKE '%statement_test_sleepy%'`).Scan(&n); err != nil || n > 0 {
				break
			}
		}
		_, _ = owner.Exec(`INSERT INTO statement_test_flag VALUES (true)`)
		_ = owner.QueryRow(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'flowlens_app'
			AND datname = current_database() AND query LIKE '%statement_test_sleepy%'`).Scan(&killed)
	}()
	sleepy := func(from, account string) string {
		return "SELECT s.n, s.slept FROM " + from + "statement_test_sleepy(" + account + ") AS s"
	}
	var rows []struct {
		N     int  `bun:"n"`
		Slept *int `bun:"slept"`
	}
	start := time.Now()
	err := store.InAccountStatement(st, ctx, rlsA, sleepy, nil, &rows)
	<-done
	if err != nil || killed != 1 || len(rows) != 1 || rows[0].N != rlsWant[rlsA]["sessions"] || rows[0].Slept != nil || time.Since(start) > 4*time.Second {
		t.Fatalf("a statement whose backend was terminated (%d): err=%v, %+v after %s; want the account's %d sessions from the second run",
			killed, err, rows, time.Since(start), rlsWant[rlsA]["sessions"])
	}
	// A statement error is not retried: the helper returns it.
	builds := 0
	failing := func(from, account string) string {
		builds++
		return "SELECT s.n FROM " + from + "(SELECT 1 / 0 AS n WHERE " + account + " IS NOT NULL) AS s"
	}
	var none []int
	if err := store.InAccountStatement(st, ctx, rlsA, failing, nil, &none); err == nil || builds != 1 {
		t.Errorf("division by zero: err=%v after %d builds; want the error", err, builds)
	}
}
