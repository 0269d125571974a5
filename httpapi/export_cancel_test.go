package httpapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/dbtest"
	"flowlens/store"
)

// TestExportClientGoneStopsTheStatements: a client that goes away in the
// middle of an export stops it: the statement running for it is
// cancelled within a second (pg_stat_activity), no batch follows, and the
// log says the export was aborted after the rows it wrote.
func TestExportClientGoneStopsTheStatements(t *testing.T) {
	owner, dsn := dbtest.New(t)
	loadDrill(t, owner)
	// 20,000 more sessions of Ben on T1 in W: 200 batches of 100 rows.
	if _, err := owner.Exec(`INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome, decisions)
		SELECT ?, ?, timestamptz '2026-03-02T00:00:00Z' + g * interval '1 minute', NULL, NULL, '[{"node_id":"start"}]'
		FROM generate_series(1, 20000) AS g`, dT1, dBen); err != nil {
		t.Fatal(err)
	}
	// In this database the service's role waits for locks and runs
	// statements up to 60 s: only a cancel request ends the wait early.
	name := dbtest.DatabaseName(t, dsn)
	for _, s := range []string{"lock_timeout", "statement_timeout"} {
		if _, err := owner.Exec("ALTER ROLE flowlens_app IN DATABASE " + name + " SET " + s + " = '60s'"); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, envOptions{owner: owner, dsn: dsn, now: drillNow, pool: store.PoolConfig{MaxOpen: 4, MaxIdle: 4},
		settings: func(s *Settings) { s.RateLimitRPS, s.ExportBatchRows = 0, 100 }})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := e.request(t, http.MethodGet, "/export/sessions.csv?view=team&"+wParams, "", token(t, uuid.MustParse(dAda)), nil).WithContext(ctx)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	// Read the first rows, then hold a lock that the next batch waits for.
	buf := make([]byte, 4096)
	if _, err := io.ReadFull(res.Body, buf); err != nil {
		t.Fatal(err)
	}
	tx, err := owner.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.Exec("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	// Keep reading, so that the export is in a statement, not in a write.
	go func() { _, _ = io.Copy(io.Discard, res.Body) }()
	if !dbtest.WaitFor(10*time.Second, func() bool { _, w := dbtest.AppActivity(t, e.owner); return w > 0 }) {
		t.Fatal("the export's next batch never waited for the lock (did it end already?)")
	}
	cancel() // the client goes away
	if !dbtest.WaitFor(time.Second, func() bool { a, _ := dbtest.AppActivity(t, e.owner); return a == 0 }) {
		a, w := dbtest.AppActivity(t, e.owner)
		t.Fatalf("a second later the service still runs %d statements (%d waiting for the lock)", a, w)
	}
	_ = tx.Rollback()
	// The log line: aborted, fewer rows than the 20,012 of the list.
	var line string
	if !dbtest.WaitFor(2*time.Second, func() bool {
		for _, l := range strings.Split(e.logs.String(), "\n") {
			if strings.Contains(l, `"msg":"export"`) {
				line = l
				return true
			}
		}
		return false
	}) {
		t.Fatal("no log line of the export")
	}
	if !strings.Contains(line, `"outcome":"aborted"`) || strings.Contains(line, `"rows":20012`) {
		t.Errorf("log line %s", line)
	}
	// The pool's connections work afterwards.
	if r := e.export(t, dBen, "view=my&"+wParams+"&completed=true"); r.Status != 200 {
		t.Errorf("after the abort: %d %s", r.Status, r.Body)
	}
}
