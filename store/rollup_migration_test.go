package store_test

import (
	"context"
	"strings"
	"testing"

	"flowlens/dbtest"
	"flowlens/store"
)

// tiersMigration is the migration that puts the duration rollups in three
// tiers, beforeTiers the one before it, tiersVacuum the one after it that
// vacuums them; hoursMigration rolls an account's durations up from hours,
// hoursVacuum vacuums them.
const (
	beforeTiers    = "20260101000036"
	tiersMigration = "20260101000037"
	tiersVacuum    = "20260101000038"
	hoursMigration = "20260101000039"
	hoursVacuum    = "20260101000040"
)

// worldThrough returns a world (seed) on a new database migrated up to
// the migration named last: its rollups rebuilt after 40 writes, then 60
// more writes, the first 31 of them folded, the others still in the
// journals.
func worldThrough(t *testing.T, last string, seed uint64) *world {
	ctx := context.Background()
	dsn := dbtest.NewEmpty(t)
	owner, err := store.Open(dsn, store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = owner.Close() })
	if _, err := store.MigrateThrough(ctx, owner, last); err != nil {
		t.Fatalf("migrations through %s: %v", last, err)
	}
	app, err := store.Open(dbtest.AppDSN(t, dsn), store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	w := newWorldOn(t, seed, owner, app)
	for i := 0; i < 40; i++ {
		w.step()
	}
	w.exec("SELECT flowlens_rollups_rebuild()")
	for i := 0; i < 60; i++ {
		w.step()
		if i == 30 {
			if _, err := store.FoldRollups(w.ctx, w.owner); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

// TestDurationTiersMigration: migration 0037 over a database migrated up
// to 0036 (one resolution of duration bins per grain), with rollups
// rebuilt, then writes folded and writes still in the journals, gives
// answers equal to the raw computation as soon as it commits (it installs
// the read functions in its own transaction), and leaves rollups that
// equal the raw recomputation at every level and tier (VerifyRollups),
// every grain's rows in all three tiers.
func TestDurationTiersMigration(t *testing.T) {
	ctx := context.Background()
	// The database before 0037: rollups rebuilt, then more writes, some
	// folded, the last ones still in the journals.
	w := worldThrough(t, beforeTiers, 11)
	var journal, rows int
	if err := w.owner.QueryRow(`SELECT count(*) FROM rollup_session_journal WHERE duration_bin IS NOT NULL`).Scan(&journal); err != nil {
		t.Fatal(err)
	}
	if journal == 0 {
		t.Fatal("no duration in the journal before the migration: the test would not see it counted twice")
	}
	// A tree's or an engineer's bins were coarse (duration_bin >> 4).
	if err := w.owner.QueryRow(`SELECT count(*) FROM rollup_durations WHERE tree_id IS NOT NULL OR user_id IS NOT NULL`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows == 0 {
		t.Fatal("no tree or engineer duration rows before the migration")
	}

	// 0037 alone: its transaction installs this binary's read functions
	// too, so the answers are exact as soon as it commits, before 0038
	// (a VACUUM of the new rows) and Migrate's final install.
	appliedOnly(t, tiersMigration, func() ([]string, error) { return store.MigrateThrough(ctx, w.owner, tiersMigration) })
	for i := 0; i < 10; i++ {
		if d := w.compare(w.query()); d != "" {
			t.Fatalf("right after migration %s: %s", tiersMigration, d)
		}
	}
	// 0038, without the final install: the functions stay those of 0037's
	// transaction, which read the rows as they are before 0039.
	appliedOnly(t, tiersVacuum, func() ([]string, error) { return store.MigrateThrough(ctx, w.owner, tiersVacuum) })
	if err := store.VerifyRollups(w.ctx, w.owner, store.VerifyOptions{}); err != nil {
		t.Fatalf("after migration %s: %v", tiersMigration, err)
	}
	// Every grain in every tier; a tier's bins are the full-resolution
	// bins shifted right by its res.
	type grainTier struct{ tree, user bool }
	var got []struct {
		Tree, User bool
		Res, N     int
		Wrong      int
	}
	if err := w.owner.NewRaw(`SELECT d.tree_id IS NOT NULL AS tree, d.user_id IS NOT NULL AS "user", d.res, count(*) AS n,
			count(*) FILTER (WHERE d.res NOT IN (0, 4, 8)) AS wrong
		FROM rollup_durations AS d GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`).Scan(ctx, &got); err != nil {
		t.Fatal(err)
	}
	tiers := map[grainTier][]int{}
	for _, g := range got {
		if g.Wrong > 0 {
			t.Errorf("%d duration rows of tier %d", g.Wrong, g.Res)
		}
		tiers[grainTier{g.Tree, g.User}] = append(tiers[grainTier{g.Tree, g.User}], g.Res)
	}
	for _, g := range []grainTier{{false, false}, {true, false}, {false, true}, {true, true}} {
		if r := tiers[g]; len(r) != 3 || r[0] != 0 || r[1] != 4 || r[2] != 8 {
			t.Errorf("grain tree=%t user=%t: tiers %v, want [0 4 8]", g.tree, g.user, r)
		}
	}
	// An engineer's durations on a tree start at days now (4 days before).
	var pairDays int
	if err := w.owner.QueryRow(`SELECT count(*) FROM rollup_durations WHERE tree_id IS NOT NULL AND user_id IS NOT NULL AND lvl = 2`).Scan(&pairDays); err != nil {
		t.Fatal(err)
	}
	if pairDays == 0 {
		t.Error("no day rows of an engineer's durations on a tree")
	}
	for i := 0; i < 30; i++ {
		if d := w.compare(w.query()); d != "" {
			t.Fatalf("after migration %s: %s", tiersMigration, d)
		}
		w.step()
	}
	if err := store.VerifyRollups(w.ctx, w.owner, store.VerifyOptions{}); err != nil {
		t.Fatalf("after more writes: %v", err)
	}
}

// TestAccountDurationHoursMigration: migration 0039 over a database
// migrated up to 0038, with rollups rebuilt, then writes folded and writes
// still in the journals, adds the account's hour rows of every tier (equal
// to the sessions counted per UTC hour, bin and tier), switches the
// journals' and the rebuild's account durations to hours, and installs
// read functions that use them in its own transaction: answers equal the
// raw computation right after it commits and after more writes, folded or
// not, and VerifyRollups passes.
func TestAccountDurationHoursMigration(t *testing.T) {
	ctx := context.Background()
	w := worldThrough(t, tiersVacuum, 13)
	hourRows := func() int {
		var n int
		if err := w.owner.QueryRow(`SELECT count(*) FROM rollup_durations WHERE tree_id IS NULL AND user_id IS NULL AND lvl = 1`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := hourRows(); n != 0 {
		t.Fatalf("%d hour rows of an account's durations before migration %s", n, hoursMigration)
	}
	for i := 0; i < 10; i++ {
		if d := w.compare(w.query()); d != "" {
			t.Fatalf("before migration %s: %s", hoursMigration, d)
		}
	}

	appliedOnly(t, hoursMigration, func() ([]string, error) { return store.MigrateThrough(ctx, w.owner, hoursMigration) })
	// The hour rows: the completed sessions with a duration bin per
	// account, UTC hour, tier and bin, counted here without the rollups'
	// functions (the journals were folded first, so nothing is pending).
	var missing, extra int
	if err := w.owner.QueryRow(`WITH want AS (
			SELECT s.account_id, r.res::smallint AS res, date_trunc('hour', s.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
				s.duration_bin >> r.res AS bin, count(*)::integer AS n
			FROM sessions AS s CROSS JOIN (VALUES (0), (4), (8)) AS r(res)
			WHERE s.account_id IS NOT NULL AND s.duration_bin IS NOT NULL GROUP BY 1, 2, 3, 4),
		got AS (SELECT account_id, res, bucket, bin, n FROM rollup_durations WHERE tree_id IS NULL AND user_id IS NULL AND lvl = 1)
		SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM got) AS m),
			(SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM want) AS e)`).Scan(&missing, &extra); err != nil {
		t.Fatal(err)
	}
	if n := hourRows(); n == 0 || missing != 0 || extra != 0 {
		t.Fatalf("account hour rows: %d, %d missing, %d not of the sessions", n, missing, extra)
	}
	// The account summary installed in 0039's transaction reads hour
	// blocks of durations (its block stride has level 1).
	var reads bool
	if err := w.owner.QueryRow(`SELECT strpos(prosrc, 'WHEN 1 THEN interval ''3600 seconds''') > 0 FROM pg_proc WHERE proname = 'flowlens_rollup_summary_account'`).Scan(&reads); err != nil {
		t.Fatal(err)
	}
	if !reads {
		t.Fatalf("the account summary installed with migration %s does not read hour blocks of durations", hoursMigration)
	}
	for i := 0; i < 20; i++ {
		if d := w.compare(w.query()); d != "" {
			t.Fatalf("right after migration %s: %s", hoursMigration, d)
		}
	}
	// 0040 and any later migrations, then Migrate's final install.
	if applied, err := store.Migrate(ctx, w.owner); err != nil || len(applied) == 0 || !strings.HasPrefix(applied[0], hoursVacuum+"_") {
		t.Fatalf("migrate after %s: applied %v (%v), want %s first", hoursMigration, applied, err, hoursVacuum)
	}
	if err := store.VerifyRollups(w.ctx, w.owner, store.VerifyOptions{}); err != nil {
		t.Fatalf("after migration %s: %v", hoursMigration, err)
	}
	before := hourRows()
	for i := 0; i < 40; i++ {
		if d := w.compare(w.query()); d != "" {
			t.Fatalf("after migration %s: %s", hoursMigration, d)
		}
		w.step()
		if i == 20 {
			if _, err := store.FoldRollups(w.ctx, w.owner); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := store.FoldRollups(w.ctx, w.owner); err != nil {
		t.Fatal(err)
	}
	if hourRows() == before {
		t.Error("the fold added no hour rows of an account's durations after 40 writes")
	}
	if err := store.VerifyRollups(w.ctx, w.owner, store.VerifyOptions{}); err != nil {
		t.Fatalf("after more writes: %v", err)
	}
	w.exec("SELECT flowlens_rollups_rebuild()")
	if n := hourRows(); n == 0 {
		t.Fatal("no hour rows of an account's durations after a rebuild")
	}
	if err := store.VerifyRollups(w.ctx, w.owner, store.VerifyOptions{}); err != nil {
		t.Fatalf("after a rebuild: %v", err)
	}
}

// appliedOnly runs migrate and fails t unless it applied exactly migration
// name (the version prefix of its file).
func appliedOnly(t *testing.T, name string, migrate func() ([]string, error)) {
	t.Helper()
	applied, err := migrate()
	if err != nil {
		t.Fatalf("migration %s: %v", name, err)
	}
	if len(applied) != 1 || !strings.HasPrefix(applied[0], name+"_") {
		t.Fatalf("applied %v, want %s", applied, name)
	}
}
