package store

import (
	"fmt"
	"strings"
	"time"

	"flowlens/models"
)

// How a request reads the rollups (migrations 0030 to 0032). Every rollup
// row covers one aligned block of UTC time of a level: 0 = 15 minutes, 1 =
// 1 hour, 2 = 1 day, 3 = 4 days, 4 = 16 days, 5 = 64 days, aligned on
// rollupSpanStart. A time interval [lo, hi) decomposes into the whole
// blocks inside it, at most a few per level (the largest level that fits
// in the middle, smaller ones towards the edges), and the partial blocks
// of its finest level at its two edges. An answer sums three sources over
// that decomposition:
//
//   - the folded rollup rows of the whole blocks;
//   - the journal rows (the rows the triggers appended, signed, not yet
//     folded) of the whole blocks, counted like raw rows times their sign,
//     so a write is in the very next request whether or not it was folded;
//   - the raw rows of the partial edges, read through the covering indexes
//     (less than a block of the grain's finest level per edge: a quarter of
//     an hour for an account's counts, an hour for a tree's or an
//     engineer's, part of a day for the day-based rollups).
//
// All three are read in the same statement, so under one snapshot. The
// statements are the bodies of PL/pgSQL functions (rollup_queries.go):
// PostgreSQL plans each once per connection, so a request pays only for
// reading rows.

// The span of time the rollups cover; windows reaching outside it are
// answered from the raw rows (Reference).
var (
	rollupSpanStart = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	rollupSpanEnd   = time.Date(2399, 12, 3, 0, 0, 0, 0, time.UTC)
)

const (
	spanStartSQL = "timestamptz '1900-01-01 00:00:00+00'"
	spanEndSQL   = "timestamptz '2399-12-03 00:00:00+00'"
)

// insideSpan reports whether the rollups cover all of w.
func insideSpan(w models.Window) bool {
	return !w.From.Before(rollupSpanStart) && !w.To.After(rollupSpanEnd)
}

// strides are the block lengths of the levels, in seconds.
var strides = [...]int64{15 * 60, 3600, 86400, 4 * 86400, 16 * 86400, 64 * 86400}

// levels is the range of block levels [lo, hi] that a rollup grain holds;
// lo is its finest level, the level of its delta rows.
type levels struct{ lo, hi int }

var (
	// quarterLevels: session counts of an account.
	quarterLevels = levels{0, 5}
	// hourLevels: session counts of a tree or an engineer.
	hourLevels = levels{1, 5}
	// dayLevels: session counts of an engineer on a tree, durations, steps
	// and ratings.
	dayLevels = levels{2, 5}
)

// decomposition returns the CTEs <p>_dec, <p>_ranges (id, lvl, lo, hi: the
// whole blocks of each level), <p>_cover (id, lo, hi: the whole blocks of
// the finest level, the range of the delta rows) and <p>_raw (id, lo, hi:
// the partial edges) of the intervals of CTE iv (id, lo, hi), clamped to
// the rollups' span. With a_k the first and b_k the last boundary of level
// k inside an interval, the top level used covers [a_k, b_k) and each lower
// level covers [a_k, a_k+1) and [b_k+1, b_k); the raw rows cover [lo, a_0)
// and [b_0, hi) (or all of [lo, hi) when no block fits).
func decomposition(p, iv string, lv levels) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s_dec AS (SELECT i.id, i.lo, i.hi", p)
	for k := lv.lo; k <= lv.hi; k++ {
		fl := func(t string) string {
			return fmt.Sprintf("date_bin(interval '%d seconds', %s, %s)", strides[k], t, spanStartSQL)
		}
		fmt.Fprintf(&b, ", greatest(CASE WHEN %[2]s = i.lo THEN i.lo ELSE %[2]s + interval '%[3]d seconds' END, %[4]s) AS a%[1]d, least(%[5]s, %[6]s) AS b%[1]d",
			k, fl("i.lo"), strides[k], spanStartSQL, fl("i.hi"), spanEndSQL)
	}
	fmt.Fprintf(&b, " FROM %s AS i),\n", iv)
	fmt.Fprintf(&b, "%[1]s_ranges AS (SELECT d.id, v.lvl, v.lo, v.hi FROM %[1]s_dec AS d CROSS JOIN LATERAL (VALUES ", p)
	for k := lv.lo; k < lv.hi; k++ {
		fmt.Fprintf(&b, "(%[1]d::smallint, d.a%[1]d, CASE WHEN d.a%[2]d < d.b%[2]d THEN d.a%[2]d ELSE d.b%[1]d END), ", k, k+1)
		fmt.Fprintf(&b, "(%[1]d::smallint, CASE WHEN d.a%[2]d < d.b%[2]d THEN d.b%[2]d ELSE d.b%[1]d END, d.b%[1]d), ", k, k+1)
	}
	fmt.Fprintf(&b, "(%[1]d::smallint, d.a%[1]d, d.b%[1]d)) AS v(lvl, lo, hi) WHERE v.lo < v.hi),\n", lv.hi)
	fmt.Fprintf(&b, "%[1]s_cover AS (SELECT d.id, d.a%[2]d AS lo, d.b%[2]d AS hi FROM %[1]s_dec AS d WHERE d.a%[2]d < d.b%[2]d),\n", p, lv.lo)
	fmt.Fprintf(&b, "%[1]s_raw AS (SELECT d.id, v.lo, v.hi FROM %[1]s_dec AS d CROSS JOIN LATERAL (VALUES "+
		"(d.lo, CASE WHEN d.a%[2]d < d.b%[2]d THEN d.a%[2]d ELSE d.hi END), "+
		"(CASE WHEN d.a%[2]d < d.b%[2]d THEN d.b%[2]d ELSE d.hi END, d.hi)) AS v(lo, hi) WHERE v.lo < v.hi)", p, lv.lo)
	return b.String()
}

// window is the intervals CTE of a statement over the window [p_from,
// p_to): one interval, id 0.
const window = "iv(id, lo, hi) AS (SELECT 0, p_from, p_to)"

// grain says which rows of rollup_counts / rollup_durations hold a set of
// sessions: those of the account p_account, of one tree (p_tree) or not,
// of one engineer (p_user) or not. list names the dimension a listing
// groups by ("tree_id" or "user_id"): its rows are those with that column
// set.
type grain struct {
	tree, user bool
	list       string
}

// byTree and byUser report whether the grain's rows have the column set.
func (g grain) byTree() bool { return g.tree || g.list == "tree_id" }
func (g grain) byUser() bool { return g.user || g.list == "user_id" }

// levels returns the levels the grain's counts hold.
func (g grain) levels() levels {
	switch {
	case g.byTree() && g.byUser():
		return dayLevels
	case g.byTree() || g.byUser():
		return hourLevels
	}
	return quarterLevels
}

// rollupWhere returns the conditions on rollup row r of the grain.
func (g grain) rollupWhere(r string) string {
	w := r + ".account_id = p_account"
	for _, d := range []struct {
		col, param string
		set, list  bool
	}{{"tree_id", "p_tree", g.tree, g.list == "tree_id"}, {"user_id", "p_user", g.user, g.list == "user_id"}} {
		switch {
		case d.set:
			w += " AND " + r + "." + d.col + " = " + d.param
		case d.list:
			w += " AND " + r + "." + d.col + " IS NOT NULL"
		default:
			w += " AND " + r + "." + d.col + " IS NULL"
		}
	}
	return w
}

// rawWhere returns the conditions on session s of the grain.
func (g grain) rawWhere(s string) string {
	w := s + ".account_id = p_account"
	if g.tree {
		w += " AND " + s + ".tree_id = p_tree"
	}
	if g.user {
		w += " AND " + s + ".user_id = p_user"
	}
	return w
}

// counterSources returns the rows of rollup_counts (folded), of the
// session journal and of the raw sessions of decomposition p for grain g,
// as SELECT g.id, <cols> ... UNION ALL ...: rollup lists the output columns
// over rollup row r; key, when not empty, is the listed column (tree_id or
// user_id) of a listing; vals are the counters over session s, which the
// journal's rows (as signed sessions) count times their sign.
func counterSources(p string, g grain, rollup, key string, vals ...string) string {
	raw, journal := "", ""
	if key != "" {
		raw, journal = "s."+key+", ", "j."+key+", "
	}
	for i, v := range vals {
		if i > 0 {
			raw += ", "
			journal += ", "
		}
		raw += v
		journal += "j.sign * (" + strings.ReplaceAll(v, "s.", "j.") + ")"
	}
	return "SELECT g.id, " + rollup + " FROM " + p + "_ranges AS g JOIN rollup_counts AS r ON r.lvl = g.lvl AND r.bucket >= g.lo AND r.bucket < g.hi WHERE " + g.rollupWhere("r") +
		"\n  UNION ALL SELECT g.id, " + journal + " FROM " + p + "_cover AS g JOIN rollup_session_journal AS j ON j.started_at >= g.lo AND j.started_at < g.hi WHERE " + g.rawWhere("j") +
		"\n  UNION ALL SELECT g.id, " + raw + " FROM " + p + "_raw AS g JOIN sessions AS s ON s.started_at >= g.lo AND s.started_at < g.hi WHERE " + g.rawWhere("s")
}

// binnable is the rollups' rule for a session's duration (completed with
// finite times, started inside the span): sessions.duration_bin is set
// (migration 0030), the predicate of the duration-bin indexes.
const binnable = "s.duration_bin IS NOT NULL"

// rawBin is sessions.duration_bin computed from the columns that the
// covering (account | tree | user, started_at) indexes hold, for the raw
// edges, which those indexes serve; rawBinnable is its rule there (the
// window lies inside the span). Both equal the stored column's definition.
const (
	rawBin      = "flowlens_duration_bin(" + durationMinutes + ")"
	rawBinnable = "s.completed_at IS NOT NULL AND isfinite(s.completed_at)"
)

// targets describes the sets of sessions whose duration percentiles one
// statement computes: the rows of CTE name (columns k, tree_id, user_id),
// each the sessions of p_account in the window of grain (tree_id,
// user_id); byTree and byUser say which of the two columns are set (the
// others are NULL in every row).
type targets struct {
	name           string
	byTree, byUser bool
	// hours: an account's durations are rolled up from hours
	// (migration 0039), which a database migrated only up to 0038 lacks.
	hours bool
}

// levels returns the levels of the targets' duration rollups: an
// account's from hours up (migration 0039), every other grain's from days
// up (migration 0037).
func (t targets) levels() levels {
	if t.hours && !t.byTree && !t.byUser {
		return hourLevels
	}
	return dayLevels
}

// where returns the conditions tying rollup row or session x to target t.
func (t targets) where(x string, rollup bool) string {
	w := x + ".account_id = p_account"
	for _, d := range []struct {
		col string
		set bool
	}{{"tree_id", t.byTree}, {"user_id", t.byUser}} {
		switch {
		case d.set:
			w += " AND " + x + "." + d.col + " = t." + d.col
		case rollup:
			w += " AND " + x + "." + d.col + " IS NULL"
		}
	}
	return w
}

// tiers are the resolutions of rollup_durations (its column res,
// migration 0037), coarse to fine: the bits of sessions.duration_bin that
// each drops. Each tier's bins are unions of 2^4 bins of the next one.
var tiers = [...]int{8, 4, 0}

// blockStride is the length of a level-lvl block (lvl an SQL expression
// of the levels lv), as an interval of seconds, which time zones and
// daylight saving time do not change.
func blockStride(lvl string, lv levels) string {
	b := "(CASE " + lvl
	for k := lv.lo; k <= lv.hi; k++ {
		b += fmt.Sprintf(" WHEN %d THEN interval '%d seconds'", k, strides[k])
	}
	return b + " END)"
}

// percentiles returns the CTEs <p>_loose ... <p>_value, whose last,
// <p>_value (k, i, value), holds for each target k and each i the
// continuous percentile ps[i-1] of its completed sessions' durations in
// minutes, exactly as percentile_cont computes it; no row when a target
// has none. <p>_dec etc. must be a decomposition of the window at the
// targets' duration levels (t.levels()).
//
// The method: percentile_cont interpolates between the values at 0-based
// positions floor(p·(N-1)) and ceil(p·(N-1)) of the sorted durations. The
// durations of the window are counted per bin from three sources: the
// rows of rollup_durations of its whole blocks, the journal rows of those
// blocks (not yet folded) and the raw rows of its partial edges (the last
// two, few, read once into <p>_loose). First every bin of the coarsest
// tier: a cumulative sum finds the bins holding the needed positions and
// how many durations lie before each. Then, tier by tier, only the 16 bins
// inside those: the rows of each whole block (enumerated, so each read is
// one range of the key), the loose rows among them, again a cumulative sum
// from the parent's offset. Last the raw durations of the full-resolution
// bins found (through the duration-bin indexes, restricted to the
// window), sorted and picked by rank.
func percentiles(p string, t targets, ps ...float64) string {
	var b strings.Builder
	// The loose rows at full resolution: journal (signed) and raw edges.
	b.WriteString(p + "_loose AS MATERIALIZED (SELECT t.k, j.duration_bin AS bin, j.sign AS n FROM " + t.name + " AS t CROSS JOIN " + p +
		"_cover AS g JOIN rollup_session_journal AS j ON j.started_at >= g.lo AND j.started_at < g.hi AND j.duration_bin IS NOT NULL AND " + t.where("j", false))
	b.WriteString("\n  UNION ALL SELECT t.k, " + rawBin + ", 1 FROM " + t.name + " AS t CROSS JOIN " + p +
		"_raw AS g JOIN sessions AS s ON s.started_at >= g.lo AND s.started_at < g.hi AND " + rawBinnable + " AND " + t.where("s", false) + "),\n")
	// The whole blocks one by one.
	stride := blockStride("g.lvl", t.levels())
	b.WriteString(p + "_blocks AS (SELECT g.lvl, b.bucket FROM " + p + "_ranges AS g CROSS JOIN LATERAL generate_series(g.lo, g.hi - " +
		stride + ", " + stride + ") AS b(bucket)),\n")
	// The coarsest tier: every bin. Each target's rows of each range in a
	// subquery that the planner cannot flatten (OFFSET 0), so that every
	// key of the index is a condition of its scan: generic plans, which
	// know no row counts, otherwise read all of a target's rows and match
	// them to the ranges.
	top := tiers[0]
	fmt.Fprintf(&b, "%[1]s_h0 AS (SELECT x.k, x.bin, sum(x.n)::bigint AS n, 0::bigint AS base FROM (SELECT t.k, r.bin, r.n FROM %[2]s AS t CROSS JOIN %[1]s_ranges AS g"+
		" CROSS JOIN LATERAL (SELECT r.bin, r.n FROM rollup_durations AS r WHERE r.res = %[3]d AND r.lvl = g.lvl AND r.bucket >= g.lo AND r.bucket < g.hi AND %[4]s OFFSET 0) AS r"+
		"\n  UNION ALL SELECT l.k, l.bin >> %[3]d, l.n FROM %[1]s_loose AS l) AS x GROUP BY 1, 2),\n", p, t.name, top, t.where("r", true))
	b.WriteString(p + "_pos AS (SELECT c.k, v.i, v.p * (c.total - 1)::float8 AS rn, floor(v.p * (c.total - 1)::float8)::bigint AS lo, ceil(v.p * (c.total - 1)::float8)::bigint AS hi" +
		" FROM (SELECT h.k, sum(h.n)::bigint AS total FROM " + p + "_h0 AS h GROUP BY 1) AS c CROSS JOIN (VALUES ")
	for i, pv := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, %v::float8)", i+1, pv)
	}
	b.WriteString(") AS v(i, p) WHERE c.total > 0),\n")
	// need returns the CTE <p>_n<i>: the bins of tier i (CTE <p>_h<i>:
	// k, bin, n, base, and parent below the top) holding a needed
	// position, with the durations before each.
	need := func(i int) {
		part := "h.k"
		if i > 0 {
			part += ", h.parent"
		}
		fmt.Fprintf(&b, "%[1]s_n%[2]d AS (SELECT DISTINCT c.k, c.bin, c.before FROM (SELECT h.k, h.bin, h.n, h.base + (sum(h.n) OVER (PARTITION BY %[3]s ORDER BY h.bin))::bigint - h.n AS before FROM %[1]s_h%[2]d AS h) AS c"+
			" JOIN %[1]s_pos AS o ON o.k = c.k AND ((o.lo >= c.before AND o.lo < c.before + c.n) OR (o.hi >= c.before AND o.hi < c.before + c.n))),\n", p, i, part)
	}
	need(0)
	for i := 1; i < len(tiers); i++ {
		res, up := tiers[i], tiers[i-1]
		fmt.Fprintf(&b, "%[1]s_h%[2]d AS (SELECT x.k, x.parent, x.base, x.bin, sum(x.n)::bigint AS n FROM ("+
			"SELECT nd.k, nd.bin AS parent, nd.before AS base, r.bin, r.n FROM %[1]s_n%[3]d AS nd JOIN %[4]s AS t ON t.k = nd.k CROSS JOIN %[1]s_blocks AS g"+
			" CROSS JOIN LATERAL (SELECT r.bin, r.n FROM rollup_durations AS r WHERE r.res = %[5]d AND r.lvl = g.lvl AND r.bucket = g.bucket"+
			" AND r.bin >= nd.bin << %[6]d AND r.bin < (nd.bin + 1) << %[6]d AND %[7]s OFFSET 0) AS r"+
			"\n  UNION ALL SELECT nd.k, nd.bin, nd.before, l.bin >> %[5]d, l.n FROM %[1]s_n%[3]d AS nd JOIN %[1]s_loose AS l ON l.k = nd.k AND l.bin >> %[8]d = nd.bin"+
			") AS x GROUP BY 1, 2, 3, 4),\n", p, i, i-1, t.name, res, up-res, t.where("r", true), up)
		need(i)
	}
	last := fmt.Sprintf("%s_n%d", p, len(tiers)-1)
	// The full-resolution bins' durations: sessions.duration_bin is a
	// column, so the conditions on the sessions are plain comparisons that
	// an index serves under row-level security.
	b.WriteString(p + "_vals AS (SELECT nd.k, nd.before, v.vs FROM " + last + " AS nd JOIN " + t.name + " AS t ON t.k = nd.k CROSS JOIN LATERAL (" +
		"SELECT array_agg(x.m ORDER BY x.m) AS vs FROM (SELECT " + durationMinutes + " AS m FROM sessions AS s WHERE " +
		"s.duration_bin = nd.bin AND s.started_at >= p_from AND s.started_at < p_to AND " + binnable + " AND " + t.where("s", false) + ") AS x) AS v),\n")
	b.WriteString(p + "_value AS MATERIALIZED (SELECT o.k, o.i, CASE WHEN o.lo = o.hi THEN z.lv ELSE z.lv + ((o.rn - o.lo) * (z.hv - z.lv)) END AS value" +
		" FROM " + p + "_pos AS o CROSS JOIN LATERAL (SELECT" +
		" (SELECT a.vs[(o.lo - a.before + 1)::int] FROM " + p + "_vals AS a WHERE a.k = o.k AND o.lo >= a.before AND o.lo < a.before + cardinality(a.vs)) AS lv," +
		" (SELECT a.vs[(o.hi - a.before + 1)::int] FROM " + p + "_vals AS a WHERE a.k = o.k AND o.hi >= a.before AND o.hi < a.before + cardinality(a.vs)) AS hv) AS z)")
	return b.String()
}
