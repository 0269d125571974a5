package dbtest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// SmallFixture is the small two-account data set of the hardening tests
// (limits, rate limits, time bounds, faults, tenancy, shutdown): account A
// (Acme) with 3 sessions in January 2026, account B (Beta) with 5; a team
// admin in each, an engineer and an inactive user in A.
type SmallFixture struct {
	AccountA, AccountB           uuid.UUID
	AdminA, EngineerA, InactiveA uuid.UUID
	AdminB                       uuid.UUID
	TreeA, TreeB                 uuid.UUID
	// Now is the instant the tests pin as "now".
	Now time.Time
	// SummaryQuery asks for the viewer's account and the team summary of
	// January 2026: A has 3 sessions (2 completed), B 5 (4 completed).
	SummaryQuery string
}

// Small is the small fixture's ids and query.
var Small = SmallFixture{
	AccountA:     uuid.MustParse("a0000000-0000-4000-8000-00000000000a"),
	AccountB:     uuid.MustParse("b0000000-0000-4000-8000-00000000000b"),
	AdminA:       uuid.MustParse("a0000000-0000-4000-8000-0000000000a1"),
	EngineerA:    uuid.MustParse("a0000000-0000-4000-8000-0000000000a2"),
	InactiveA:    uuid.MustParse("a0000000-0000-4000-8000-0000000000a3"),
	AdminB:       uuid.MustParse("b0000000-0000-4000-8000-0000000000b1"),
	TreeA:        uuid.MustParse("a0000000-0000-4000-8000-0000000000f1"),
	TreeB:        uuid.MustParse("b0000000-0000-4000-8000-0000000000f1"),
	Now:          time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
	SummaryQuery: `{ viewer { accountId } teamAnalytics(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { summary { totalSessions completedSessions } } }`,
}

// LoadSmall writes the small fixture as the owner.
func LoadSmall(t testing.TB, owner bun.IDB) {
	t.Helper()
	f := Small
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO accounts (id, name) VALUES (?, 'Acme'), (?, 'Beta')`, []any{f.AccountA, f.AccountB}},
		{`INSERT INTO users (id, account_id, name, is_active, is_team_admin) VALUES
			(?, ?, 'Ada', true, true), (?, ?, 'Eve', true, false), (?, ?, 'Ian', false, false), (?, ?, 'Bea', true, true)`,
			[]any{f.AdminA, f.AccountA, f.EngineerA, f.AccountA, f.InactiveA, f.AccountA, f.AdminB, f.AccountB}},
		{`INSERT INTO trees (id, account_id, name, tree_structure) VALUES
			(?, ?, 'Printer', '{"id":"root","title":"Start","children":[{"id":"n1","question":"Is it on"}]}'),
			(?, ?, 'Router', '{"id":"root","title":"Begin"}')`,
			[]any{f.TreeA, f.AccountA, f.TreeB, f.AccountB}},
		{`INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome, decisions) VALUES
			(?, ?, '2026-01-05T10:00:00Z', '2026-01-05T10:10:00Z', 'resolved', '[{"node_id":"root"},{"node_id":"n1"}]'),
			(?, ?, '2026-01-06T10:00:00Z', '2026-01-06T10:20:00Z', 'escalated', '[{"node_id":"root"}]'),
			(?, ?, '2026-01-07T10:00:00Z', NULL, NULL, '[{"node_id":"root"},{"node_id":"n1"}]')`,
			[]any{f.TreeA, f.AdminA, f.TreeA, f.EngineerA, f.TreeA, f.EngineerA}},
		{`INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome)
			SELECT ?, ?, '2026-01-10T00:00:00Z'::timestamptz + g * interval '1 day',
			       CASE WHEN g < 4 THEN '2026-01-10T00:05:00Z'::timestamptz + g * interval '1 day' END,
			       CASE WHEN g < 4 THEN 'resolved' END
			FROM generate_series(0, 4) AS g`,
			[]any{f.TreeB, f.AdminB}},
	}
	for _, s := range stmts {
		if _, err := owner.ExecContext(context.Background(), s.q, s.args...); err != nil {
			t.Fatalf("fixture: %v\n%s", err, s.q)
		}
	}
}
