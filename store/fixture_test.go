package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/models"
	"flowlens/store"
)

// fixture is a fresh database of one test: the owner's handle, which writes
// the rows (as the main application does), and a Store over the service's
// role, flowlens_app, which reads them under row-level security as the
// service does.
type fixture struct {
	t     *testing.T
	owner *bun.DB
	st    *store.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	owner, app := dbtest.NewApp(t)
	return &fixture{t: t, owner: owner, st: store.New(app)}
}

// exec runs one statement as the owner.
func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.owner.ExecContext(context.Background(), q, args...); err != nil {
		f.t.Fatalf("fixture: %v\n%s", err, q)
	}
}

// accounts writes accounts with these ids.
func (f *fixture) accounts(ids ...uuid.UUID) {
	f.t.Helper()
	for _, id := range ids {
		f.exec("INSERT INTO accounts (id, name) VALUES (?, ?)", id, "account "+id.String()[:8])
	}
}

// user is a users row; a nil Name is NULL.
type user struct {
	id, account uuid.UUID
	name        any
	inactive    bool
}

func (f *fixture) users(us ...user) {
	f.t.Helper()
	for _, u := range us {
		f.exec("INSERT INTO users (id, account_id, name, is_active) VALUES (?, ?, ?, ?)", u.id, u.account, u.name, !u.inactive)
	}
}

// tree is a trees row (no structure).
type tree struct {
	id, account uuid.UUID
	name        string
}

func (f *fixture) trees(ts ...tree) {
	f.t.Helper()
	for _, tr := range ts {
		f.exec("INSERT INTO trees (id, account_id, name) VALUES (?, ?, ?)", tr.id, tr.account, tr.name)
	}
}

// session is a sessions row: started is RFC 3339 (microseconds allowed);
// dur is the time to completed_at, 0 for a session not completed; a nil
// outcome is NULL.
type session struct {
	tree, user uuid.UUID
	started    string
	dur        time.Duration
	outcome    any
}

func (f *fixture) sessions(ss ...session) {
	f.t.Helper()
	for _, s := range ss {
		start := at(f.t, s.started)
		var done any
		if s.dur != 0 {
			done = start.Add(s.dur)
		}
		f.exec("INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome) VALUES (?, ?, ?, ?, ?)",
			s.tree, s.user, start, done, s.outcome)
	}
}

// at parses an RFC 3339 time of the fixture.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("fixture time %q: %v", s, err)
	}
	return v
}

// window returns [from, to) in time zone tz.
func window(t testing.TB, from, to, tz string) models.Window {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	return models.Window{From: at(t, from), To: at(t, to), TimeZone: tz, Location: loc}
}

// minutes is a duration of m minutes (fractions allowed).
func minutes(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }

// eachStore runs check as a subtest with the Store over the service's role
// (row-level security on) and with one over the owner (row-level security
// off, as for a superuser), so that each query's own account filter is
// tested without the second wall too.
func (f *fixture) eachStore(t *testing.T, check func(t *testing.T, st *store.Store)) {
	for _, s := range []struct {
		name string
		st   *store.Store
	}{{"service role", f.st}, {"owner without row-level security", store.New(f.owner)}} {
		t.Run(s.name, func(t *testing.T) { check(t, s.st) })
	}
}

// hugeDecisions returns the two decisions arrays of the huge-decisions
// tests: 100,000 entries naming root, a, b, ghost in turn (entry i:
// {"node_id": nodes[i%4], "at": i}), and 100,000 entries that alternate
// {"node_id":"a"} and the junk string "junk".
func hugeDecisions() (cycle, alternating string) {
	nodes := []string{"root", "a", "b", "ghost"}
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < 100000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"node_id":%q,"at":%d}`, nodes[i%4], i)
	}
	b.WriteString("]")
	cycle = b.String()
	b.Reset()
	b.WriteString("[")
	for i := 0; i < 100000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		if i%2 == 0 {
			b.WriteString(`{"node_id":"a"}`)
		} else {
			b.WriteString(`"junk"`)
		}
	}
	b.WriteString("]")
	return cycle, b.String()
}
