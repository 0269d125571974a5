package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"flowlens/models"
)

// VerifyOptions restrict VerifyRollups.
type VerifyOptions struct {
	// Account, when not uuid.Nil, is the only account checked.
	Account uuid.UUID
	// From and To bound the blocks compared and are the window of the
	// compared answers; zero values mean the rollups' whole span (answers:
	// the last 366 days before To, or before now).
	From, To time.Time
	// Progress receives a line per account; nil prints nothing.
	Progress func(format string, args ...any)
}

// Difference is the first rolled-up figure that differs from the raw
// computation.
type Difference struct{ What string }

func (d *Difference) Error() string { return "rollups differ from the raw rows: " + d.What }

// VerifyRollups compares every rolled-up figure with the raw computation,
// in one read-only transaction (one snapshot), and returns a *Difference
// naming the first that differs, nil when none does. Two checks:
//
//   - every rollup row, folded plus not yet folded, at every level, against
//     the same rows recomputed from the raw rows (the rebuild's statement,
//     into temporary tables);
//   - every answer of the API over the window, through the rollups, against
//     Reference: the account's summary, time series (UTC and a +05:45 zone,
//     each granularity), top flows and engineers (100) with their
//     completion counts; each tree's summary, series, ratings, step
//     feedback, transitions and exit nodes; each engineer's summary and
//     top flows.
//
// db must be the tables' owner.
func VerifyRollups(ctx context.Context, db *bun.DB, o VerifyOptions) error {
	from, to := o.From, o.To
	if from.IsZero() {
		from = rollupSpanStart
	}
	if to.IsZero() {
		to = rollupSpanEnd
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	var accounts []uuid.UUID
	q := db.NewSelect().TableExpr("accounts").Column("id").OrderExpr("id")
	if o.Account != uuid.Nil {
		q = q.Where("id = ?", o.Account)
	}
	if err := q.Scan(ctx, &accounts); err != nil {
		return fmt.Errorf("verify rollups: accounts: %w", err)
	}
	if o.Account != uuid.Nil && len(accounts) == 0 {
		return fmt.Errorf("verify rollups: there is no account %s", o.Account)
	}
	return db.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead}, func(ctx context.Context, tx bun.Tx) error {
		if err := verifyRows(ctx, tx, accounts, from, to); err != nil {
			return err
		}
		// Both computations in this transaction's snapshot.
		st := &Store{db: db, tx: &tx}
		for _, acc := range accounts {
			progress("verify: account %s", acc)
			if err := verifyAnswers(ctx, tx, st, acc, from, to); err != nil {
				return err
			}
		}
		return nil
	})
}

// verifyRows recomputes the rollup rows of accounts from the raw rows
// (into temporary tables raw_<table>) and compares them, at every level,
// with the folded rows plus the journals' rows (summed the fold's way into
// temporary tables journal_<table>) of blocks starting in [from, to).
func verifyRows(ctx context.Context, tx bun.Tx, accounts []uuid.UUID, from, to time.Time) error {
	tables := RollupTables
	for _, prefix := range []string{"raw_", "journal_"} {
		for _, t := range tables {
			if _, err := tx.ExecContext(ctx, "CREATE TEMP TABLE "+prefix+t+" (LIKE "+t+"_delta) ON COMMIT DROP"); err != nil {
				return fmt.Errorf("verify rollups: %w", err)
			}
		}
	}
	// sum runs the fold's summing statement over the sessions that changes
	// returns into the prefix tables. The statement holds SQL/JSON paths,
	// whose ? are no placeholders: it runs without arguments, the accounts
	// written into it as an array literal (UUIDs' text is hex digits and
	// dashes only).
	sum := func(prefix, changes string) error {
		var stmt string
		if err := tx.NewRaw("SELECT flowlens_rollups_session_changes_sql(?)", changes).Scan(ctx, &stmt); err != nil {
			return err
		}
		for _, t := range tables {
			stmt = strings.ReplaceAll(stmt, "INSERT INTO "+t+"_delta", "INSERT INTO pg_temp."+prefix+t)
		}
		_, err := tx.ExecContext(ctx, stmt)
		return err
	}
	literal := make([]string, len(accounts))
	for i, a := range accounts {
		literal[i] = "'" + a.String() + "'"
	}
	ofAccount := "account_id IN (SELECT unnest(ARRAY[" + strings.Join(literal, ", ") + "]::uuid[]))"
	const cols = "account_id, tree_id, user_id, started_at, completed_at, outcome, decisions, duration_bin"
	if err := sum("raw_", "SELECT 1 AS sign, "+cols+" FROM sessions WHERE "+ofAccount); err != nil {
		return fmt.Errorf("verify rollups: recompute sessions: %w", err)
	}
	if err := sum("journal_", "SELECT sign, "+cols+" FROM rollup_session_journal WHERE "+ofAccount); err != nil {
		return fmt.Errorf("verify rollups: sum the session journal: %w", err)
	}
	ofAccounts := " JOIN trees AS t ON t.id = r.tree_id WHERE t.account_id IN (SELECT unnest(?::uuid[])) AND r.created_at >= " + spanStartSQL + " AND r.created_at < " + spanEndSQL
	for _, src := range []struct{ from, sign, cols, into string }{
		{"session_ratings", "1", "r.rating, sum(%s)", "raw_rollup_ratings (tree_id, lvl, bucket, rating, n)"},
		{"rollup_rating_journal", "r.sign", "r.rating, sum(%s)", "journal_rollup_ratings (tree_id, lvl, bucket, rating, n)"},
		{"step_ratings", "1", "r.node_id, sum(CASE WHEN r.helpful THEN %[1]s ELSE 0 END), sum(CASE WHEN r.helpful THEN 0 ELSE %[1]s END)", "raw_rollup_votes (tree_id, lvl, bucket, node_id, yes, no)"},
		{"rollup_vote_journal", "r.sign", "r.node_id, sum(CASE WHEN r.helpful THEN %[1]s ELSE 0 END), sum(CASE WHEN r.helpful THEN 0 ELSE %[1]s END)", "journal_rollup_votes (tree_id, lvl, bucket, node_id, yes, no)"},
	} {
		if _, err := tx.ExecContext(ctx, "INSERT INTO pg_temp."+src.into+" SELECT r.tree_id, 2::smallint, flowlens_rollup_floor(2::smallint, r.created_at), "+
			fmt.Sprintf(src.cols, src.sign)+" FROM "+src.from+" AS r"+ofAccounts+" GROUP BY 1, 2, 3, 4", pgArray(accounts)); err != nil {
			return fmt.Errorf("verify rollups: recompute %s: %w", src.from, err)
		}
	}
	for _, c := range []struct {
		table, key, values, scope string
	}{
		{"rollup_counts", "account_id, tree_id, user_id", "sessions, completed, resolved, escalated, workaround, unresolved, completed_resolved, completed_escalated, completed_workaround, completed_unresolved", "account_id"},
		{"rollup_durations", "account_id, tree_id, user_id, res, bin", "n", "account_id"},
		{"rollup_steps", "account_id, tree_id, node_id", "visits, dropoffs, exits, exit_resolved, exit_escalated, exit_workaround, exit_unresolved", "account_id"},
		{"rollup_transitions", "account_id, tree_id, from_node, to_node", "n", "account_id"},
		{"rollup_ratings", "tree_id, rating", "n", "tree_id"},
		{"rollup_votes", "tree_id, node_id", "yes, no", "tree_id"},
	} {
		if d, err := compareRows(ctx, tx, c.table, c.key, c.values, c.scope, accounts, from, to); err != nil || d != nil {
			return firstErr(err, d)
		}
	}
	return nil
}

// compareRows returns the first block of table whose counters differ
// between the rollups (folded plus delta, expanded to every level) and
// the recomputation (verify_<table>, expanded the same way): the earliest
// block, at its lowest level. It compares one level at a time, each side
// restricted to the blocks compared before they are joined: a large
// tenant's rows expanded to every level at once spill gigabytes of
// temporary files.
func compareRows(ctx context.Context, tx bun.Tx, table, key, values, scope string, accounts []uuid.UUID, from, to time.Time) (*Difference, error) {
	sums := func(alias string) string {
		var b strings.Builder
		for i, v := range strings.Split(values, ", ") {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "sum(%s.%s)::bigint AS %s", alias, v, v)
		}
		return b.String()
	}
	nkeys := strings.Count(key, ",") + 1
	inScope := "account_id IN (SELECT unnest(?::uuid[]))"
	if scope == "tree_id" {
		inScope = "tree_id IN (SELECT t.id FROM trees AS t WHERE t.account_id IN (SELECT unnest(?::uuid[])))"
	}
	var cond []string
	for _, v := range strings.Split(values, ", ") {
		cond = append(cond, "coalesce(a."+v+", 0) <> coalesce(e."+v+", 0)")
	}
	var join []string
	for _, k := range append(strings.Split(key, ", "), "lvl", "bucket") {
		if k == "tree_id" || k == "user_id" { // NULL for another grain: equal when both are
			join = append(join, fmt.Sprintf("coalesce(a.%[1]s, %[2]s) = coalesce(e.%[1]s, %[2]s) AND (a.%[1]s IS NULL) = (e.%[1]s IS NULL)", k, "'00000000-0000-0000-0000-000000000000'::uuid"))
			continue
		}
		join = append(join, "a."+k+" = e."+k)
	}
	var first *Difference
	var firstAt time.Time
	for lvl := 0; lvl <= 5; lvl++ {
		// expand sums the rows of src at or below level lvl into its
		// blocks of [from, to) (the HAVING, on grouped columns only, is a
		// condition on the rows).
		expand := func(src string) string {
			return "SELECT " + prefixed("x", key) + fmt.Sprintf(", %[1]d::smallint AS lvl, flowlens_rollup_floor(%[1]d::smallint, x.bucket) AS bucket, ", lvl) + sums("x") +
				" FROM " + src + fmt.Sprintf(" AS x WHERE x.lvl <= %d GROUP BY ", lvl) + prefixed("x", key) + fmt.Sprintf(", %d, %d", nkeys+1, nkeys+2) +
				fmt.Sprintf(" HAVING flowlens_rollup_floor(%[1]d::smallint, x.bucket) >= ?::timestamptz AND flowlens_rollup_floor(%[1]d::smallint, x.bucket) < ?::timestamptz", lvl)
		}
		actual := "SELECT " + key + ", lvl, bucket, " + sums("u") + " FROM (SELECT " + key + ", lvl, bucket, " + values + " FROM " + table + " WHERE " + inScope +
			fmt.Sprintf(" AND lvl = %d AND bucket >= ?::timestamptz AND bucket < ?::timestamptz", lvl) +
			" UNION ALL " + expand("pg_temp.journal_"+table) + ") AS u GROUP BY " + key + ", lvl, bucket"
		expected := expand("pg_temp.raw_" + table)
		var row struct {
			At       time.Time       `bun:"at"`
			Actual   json.RawMessage `bun:"actual"`
			Expected json.RawMessage `bun:"expected"`
		}
		err := tx.NewRaw("WITH a AS ("+actual+"), e AS ("+expected+")"+
			" SELECT coalesce(a.bucket, e.bucket) AS at, to_json(a) AS actual, to_json(e) AS expected FROM a FULL JOIN e ON "+strings.Join(join, " AND ")+
			" WHERE "+strings.Join(cond, " OR ")+" ORDER BY 1 LIMIT 1",
			pgArray(accounts), from, to, from, to, from, to).Scan(ctx, &row)
		if err != nil {
			if strings.Contains(err.Error(), "no rows") {
				continue
			}
			return nil, fmt.Errorf("verify rollups: compare %s: %w", table, err)
		}
		if first == nil || row.At.Before(firstAt) {
			first, firstAt = &Difference{What: fmt.Sprintf("%s: rolled up %s, raw rows give %s", table, nullJSON(row.Actual), nullJSON(row.Expected))}, row.At
		}
	}
	return first, nil
}

// verifyAnswers compares the API's answers for account acc over the
// window ending at to (at most 366 days, inside [from, to)).
func verifyAnswers(ctx context.Context, tx bun.Tx, st *Store, acc uuid.UUID, from, to time.Time) error {
	end := to
	if end.After(time.Now()) {
		end = time.Now().UTC().Truncate(time.Microsecond)
	}
	start := end.Add(-366 * 24 * time.Hour) // the longest window of the API
	if start.Before(from) {
		start = from
	}
	if !start.Before(end) {
		return nil
	}
	ref := st.Reference()
	base := models.Scope{AccountID: acc}
	var trees, users []uuid.UUID
	if err := tx.NewSelect().TableExpr("trees").Column("id").Where("account_id = ?", acc).OrderExpr("id").Scan(ctx, &trees); err != nil {
		return err
	}
	if err := tx.NewSelect().TableExpr("users").Column("id").Where("account_id = ?", acc).OrderExpr("id").Scan(ctx, &users); err != nil {
		return err
	}
	for _, tz := range []string{"UTC", "Asia/Kathmandu"} {
		w, err := models.NewWindow(models.WindowArgs{From: &start, To: &end, TimeZone: tz}, end)
		if err != nil {
			return err
		}
		team := base.WithWindow(w)
		scopes := []struct {
			what string
			sc   models.Scope
		}{{"team", team}}
		if tz == "UTC" {
			for _, t := range trees {
				sc := team
				sc.TreeID = t
				scopes = append(scopes, struct {
					what string
					sc   models.Scope
				}{"flow " + t.String(), sc})
			}
			for _, u := range users {
				sc := team
				sc.ByUser, sc.UserID = true, u
				scopes = append(scopes, struct {
					what string
					sc   models.Scope
				}{"engineer " + u.String(), sc})
			}
		}
		for _, s := range scopes {
			if err := verifyScope(ctx, st, ref, acc, s.what+" "+tz, s.sc); err != nil {
				return err
			}
		}
	}
	return nil
}

// verifyScope compares the fields of one scope.
func verifyScope(ctx context.Context, st *Store, ref Reference, acc uuid.UUID, what string, sc models.Scope) error {
	where := fmt.Sprintf("account %s, %s, window %s to %s", acc, what, sc.Window.From.Format(time.RFC3339Nano), sc.Window.To.Format(time.RFC3339Nano))
	check := func(field string, got, want any, gerr, werr error) error {
		if gerr != nil || werr != nil {
			return firstErr(gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			return &Difference{What: fmt.Sprintf("%s, %s: from the rollups %s, from the raw rows %s", where, field, g, w)}
		}
		return nil
	}
	gs, gerr := st.Summary(ctx, sc)
	ws, werr := ref.Summary(ctx, sc)
	if err := check("summary", gs, ws, gerr, werr); err != nil {
		return err
	}
	for _, g := range []models.Granularity{models.GranularityDay, models.GranularityWeek, models.GranularityMonth} {
		gp, gerr := st.TimeSeries(ctx, sc, g)
		wp, werr := ref.TimeSeries(ctx, sc, g)
		if err := check("timeSeries "+string(g), gp, wp, gerr, werr); err != nil {
			return err
		}
	}
	if sc.TreeID != uuid.Nil {
		gr, gerr := st.Ratings(ctx, sc)
		wr, werr := ref.Ratings(ctx, sc)
		if err := check("ratings", gr, wr, gerr, werr); err != nil {
			return err
		}
		gf, gerr := st.StepFeedback(ctx, sc)
		wf, werr := ref.StepFeedback(ctx, sc)
		if err := check("stepFeedback", gf, wf, gerr, werr); err != nil {
			return err
		}
		gp, gerr := st.Transitions(ctx, sc, models.MaxPathLimit)
		wp, werr := ref.Transitions(ctx, sc, models.MaxPathLimit)
		if err := check("transitions", gp, wp, gerr, werr); err != nil {
			return err
		}
		gx, gerr := st.ExitNodes(ctx, sc, models.MaxPathLimit)
		wx, werr := ref.ExitNodes(ctx, sc, models.MaxPathLimit)
		return check("exitNodes", gx, wx, gerr, werr)
	}
	gt, gerr := st.TopFlows(ctx, sc, 100)
	wt, werr := ref.TopFlows(ctx, sc, 100)
	if err := check("topFlows", gt, wt, gerr, werr); err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(wt))
	for i, f := range wt {
		ids[i] = f.TreeID
	}
	if len(ids) > 0 {
		gc, gerr := st.FlowCompletions(ctx, sc, ids)
		wc, werr := ref.FlowCompletions(ctx, sc, ids)
		if err := check("topFlows completions", gc, wc, gerr, werr); err != nil {
			return err
		}
	}
	if sc.ByUser {
		return nil
	}
	ge, gerr := st.TopEngineers(ctx, sc, 100)
	we, werr := ref.TopEngineers(ctx, sc, 100)
	if err := check("topEngineers", ge, we, gerr, werr); err != nil {
		return err
	}
	ids = make([]uuid.UUID, len(we))
	for i, e := range we {
		ids[i] = e.UserID
	}
	if len(ids) > 0 {
		gc, gerr := st.EngineerCompletions(ctx, sc, ids)
		wc, werr := ref.EngineerCompletions(ctx, sc, ids)
		return check("topEngineers completions", gc, wc, gerr, werr)
	}
	return nil
}

// pgArray passes ids as a PostgreSQL array.
func pgArray(ids []uuid.UUID) any { return pgdialect.Array(ids) }

func prefixed(alias, cols string) string {
	return alias + "." + strings.ReplaceAll(cols, ", ", ", "+alias+".")
}

func nullJSON(b json.RawMessage) string {
	if len(b) == 0 || string(b) == "null" {
		return "nothing"
	}
	return string(b)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
