package dbtest

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

// DatabaseName returns the database name of a DSN.
func DatabaseName(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DSN is not a URL: %v", err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// AppActivity counts the backends of the service's role in owner's
// database that are running a statement, and those waiting for a lock.
func AppActivity(t testing.TB, owner *bun.DB) (active, waiting int) {
	t.Helper()
	err := owner.QueryRow(`SELECT count(*) FILTER (WHERE state = 'active'),
			count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock')
		FROM pg_stat_activity WHERE usename = ? AND datname = current_database()`, appRole).Scan(&active, &waiting)
	if err != nil {
		t.Fatal(err)
	}
	return active, waiting
}

// WaitFor polls cond every 20 ms for up to limit and reports whether it
// held.
func WaitFor(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); ; {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
