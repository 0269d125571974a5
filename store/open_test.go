package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

// TestHostPort: the host and port of a DSN in either form, never its
// password.
func TestHostPort(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"postgres://u:s3cret@db.example:6543/app?sslmode=disable", "db.example:6543"},
		{"postgres://u:s3cret@db.example/app", "db.example:5432"},
		{"postgres://u:s3cret@[::1]:5433/app", "[::1]:5433"},
		{"host=10.0.0.7 port=5440 user=u password=s3cret dbname=app", "10.0.0.7:5440"},
		{"postgres://u:s3cret@db.example:notaport/app", "an unparsable DATABASE_URL"},
	} {
		if got := store.HostPort(c.dsn); got != c.want {
			t.Errorf("HostPort(%q) = %q, want %q", c.dsn, got, c.want)
		}
	}
}

// TestOpenMalformedDSN: the error says what form is expected and does not
// repeat the address, whose password it may hold.
func TestOpenMalformedDSN(t *testing.T) {
	_, err := store.Open("postgres://u:s3cret@db.example:notaport/app", store.DefaultPool)
	want := "DATABASE_URL is not a valid PostgreSQL address: check its form: postgres://user:password@host:port/dbname"
	if err == nil || err.Error() != want || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open of a malformed DSN: %v; want %q", err, want)
	}
}

// TestParseExecMode: the two modes that keep no statement on the server
// (the empty value is the default, simple protocol); pgx's modes that do,
// and anything else, are refused with a message naming the value and the
// choices.
func TestParseExecMode(t *testing.T) {
	for in, want := range map[string]store.ExecMode{"": store.ExecSimpleProtocol, "simple_protocol": store.ExecSimpleProtocol, "exec": store.ExecExtended, " exec ": store.ExecExtended} {
		if got, err := store.ParseExecMode(in); err != nil || got != want {
			t.Errorf("ParseExecMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"cache_statement", "cache_describe", "describe_exec"} {
		_, err := store.ParseExecMode(bad)
		if err == nil || !strings.Contains(err.Error(), `DB_QUERY_EXEC_MODE "`+bad+`"`) || !strings.Contains(err.Error(), "PgBouncer") {
			t.Errorf("ParseExecMode(%q): %v; want a refusal naming it and PgBouncer", bad, err)
		}
	}
	for _, bad := range []string{"simple", "EXEC", "prepared"} {
		_, err := store.ParseExecMode(bad)
		if err == nil || err.Error() != `DB_QUERY_EXEC_MODE "`+bad+`" is not a mode: use simple_protocol (the default) or exec` {
			t.Errorf("ParseExecMode(%q): %v", bad, err)
		}
	}
}

// TestExecModes: the pool runs in the configured pgx mode (the simple
// protocol by default, even when the address asks for another), the
// store's transactions work in both, and neither leaves a prepared
// statement on the server connection.
func TestExecModes(t *testing.T) {
	_, _, dsn := rlsEnv(t, store.DefaultPool)
	ctx := context.Background()
	for _, c := range []struct {
		mode store.ExecMode
		dsn  string
		want pgx.QueryExecMode
	}{
		{"", dbtest.AppDSN(t, dsn), pgx.QueryExecModeSimpleProtocol},
		{"", dbtest.AppDSN(t, dsn) + "&default_query_exec_mode=cache_statement", pgx.QueryExecModeSimpleProtocol},
		{store.ExecSimpleProtocol, dbtest.AppDSN(t, dsn), pgx.QueryExecModeSimpleProtocol},
		{store.ExecExtended, dbtest.AppDSN(t, dsn), pgx.QueryExecModeExec},
	} {
		db, err := store.Open(c.dsn, store.PoolConfig{MaxOpen: 1, MaxIdle: 1, ExecMode: c.mode})
		if err != nil {
			t.Fatal(err)
		}
		st := store.New(db)
		for i := 0; i < 3; i++ {
			n := 0
			err := store.InAccount(st, ctx, rlsA, func(db bun.IDB) error {
				var err error
				n, err = count(ctx, db, "sessions")
				return err
			})
			if err != nil || n != rlsWant[rlsA]["sessions"] {
				t.Fatalf("mode %q: %d sessions, %v", c.mode, n, err)
			}
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got pgx.QueryExecMode
		_ = conn.Raw(func(dc any) error { got = dc.(*stdlib.Conn).Conn().Config().DefaultQueryExecMode; return nil })
		var prepared int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM pg_prepared_statements").Scan(&prepared); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		db.Close()
		if got != c.want || prepared != 0 {
			t.Errorf("mode %q (%s): pgx mode %v, %d prepared statements; want %v and none", c.mode, c.dsn, got, prepared, c.want)
		}
	}
	// The check sees what pgx's default mode would leave behind.
	cfg, err := pgx.ParseConfig(dbtest.AppDSN(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var prepared int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_prepared_statements WHERE $1::int = 1", 1).Scan(&prepared); err != nil || prepared == 0 {
		t.Errorf("pgx's default mode (cache_statement): %d prepared statements (%v); the check would not see them", prepared, err)
	}
}

// TestForRequestWithoutReplicas: without replicas a request's context is
// left as it is (reads run as they always did) and WithReplicas of none
// is the store itself.
func TestForRequestWithoutReplicas(t *testing.T) {
	db, err := store.Open("postgres://u@127.0.0.1:1/none?sslmode=disable", store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := store.New(db)
	ctx := context.Background()
	if st.ForRequest(ctx) != ctx {
		t.Error("ForRequest without replicas changed the context")
	}
	if st.WithReplicas(nil, store.ReplicaOptions{}) != st {
		t.Error("WithReplicas(none) is a new store")
	}
}

// TestParseReplicaURLs: comma-separated addresses, spaces around them
// allowed; an empty entry, a malformed address or another role than the
// service's is refused, by position and without the address's password.
func TestParseReplicaURLs(t *testing.T) {
	const service = "postgres://flowlens_app:pw@primary:5432/app"
	got, err := store.ParseReplicaURLs(" postgres://flowlens_app:s3cret@r1:5432/app , postgres://flowlens_app@r2/app", service)
	if err != nil || len(got) != 2 || got[0] != "postgres://flowlens_app:s3cret@r1:5432/app" || got[1] != "postgres://flowlens_app@r2/app" {
		t.Errorf("two replicas: %q, %v", got, err)
	}
	got, err = store.ParseReplicaURLs("postgres://flowlens_app@r1:5432,r2:5433/app?target_session_attrs=standby,postgresql://flowlens_app@r3/app", service)
	if err != nil || len(got) != 2 || got[0] != "postgres://flowlens_app@r1:5432,r2:5433/app?target_session_attrs=standby" || got[1] != "postgresql://flowlens_app@r3/app" {
		t.Errorf("a multi-host URL and another: %q, %v", got, err)
	}
	if got, err := store.ParseReplicaURLs("  ", service); err != nil || got != nil {
		t.Errorf("none: %q, %v", got, err)
	}
	for list, want := range map[string]string{
		"postgres://flowlens_app@r1/app,,postgres://flowlens_app@r2/app":                "REPLICA_DATABASE_URLS: address 2 is empty (addresses are separated by commas)",
		"postgres://flowlens_app@r1/app,postgres://flowlens_app:s3cret@r2:notaport/app": "REPLICA_DATABASE_URLS: address 2 is not a valid PostgreSQL address: check its form: postgres://user:password@host:port/dbname",
		"postgres://postgres:s3cret@r1:5433/app":                                        `REPLICA_DATABASE_URLS: address 1 (r1:5433) connects as "postgres", not as the service's role "flowlens_app": a standby has the primary's roles, use the same one`,
	} {
		_, err := store.ParseReplicaURLs(list, service)
		if err == nil || err.Error() != want || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: %v; want %q", list, err, want)
		}
	}
}
