package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"flowlens/models"
)

// rollupTimeSeries is TimeSeries from the rollups, in one statement. The
// calendar buckets of the window in its time zone are intervals of UTC
// time, [first instant of the bucket, first instant of the next), computed
// by PostgreSQL from the same time zone data as the reference's
// date_trunc(unit, started_at AT TIME ZONE tz); each decomposes into whole
// blocks (rollup rows) and partial edges (raw rows) like any window. A
// bucket boundary on a whole quarter hour of UTC (every whole-quarter-hour
// offset) costs no raw rows; one off the quarter hours (a historical local
// mean time, say) costs the raw rows of the quarter hour around it.
//
// This is exact when each bucket is one interval of UTC time: every
// boundary's instant is in its bucket and the microsecond before it in an
// earlier one, checked for every boundary. When a check fails (a local
// midnight that does not exist or happens twice, as on a day a zone
// skipped), the statement counts every session by its local bucket instead,
// like the reference.
func (s *Store) rollupTimeSeries(ctx context.Context, sc models.Scope, unit string) ([]models.TimeSeriesPoint, error) {
	tz, w := sc.Window.TimeZone, sc.Window
	g := scopeGrain(sc)
	q := &query{}
	q.add("WITH sp AS (SELECT x AS bucket FROM generate_series(date_trunc(?, ?::timestamptz AT TIME ZONE ?),"+
		" date_trunc(?, (?::timestamptz - interval '1 microsecond') AT TIME ZONE ?), ?::interval) AS x),\n",
		unit, w.From, tz, unit, w.To, tz, "1 "+unit)
	q.add("bd AS (SELECT sp.bucket, row_number() OVER (ORDER BY sp.bucket) AS id, sp.bucket AT TIME ZONE ? AS u,"+
		" lead(sp.bucket) OVER (ORDER BY sp.bucket) AS next FROM sp),\n", tz)
	q.add("iv AS (SELECT bd.id, bd.bucket, CASE WHEN bd.id = 1 THEN ?::timestamptz ELSE bd.u END AS lo,"+
		" CASE WHEN bd.next IS NULL THEN ?::timestamptz ELSE bd.next AT TIME ZONE ? END AS hi FROM bd),\n", w.From, w.To, tz)
	q.add("ok AS (SELECT coalesce(bool_and(iv.lo < iv.hi AND (iv.id = 1 OR (date_trunc(?, iv.lo AT TIME ZONE ?) = iv.bucket"+
		" AND date_trunc(?, (iv.lo - interval '1 microsecond') AT TIME ZONE ?) < iv.bucket))), true) AS ok FROM iv),\n", unit, tz, unit, tz)
	q.add(decomposition("c", "iv", g.levels()) + ",\n")
	q.add("counts AS (SELECT x.id, sum(x.sessions) AS sessions, sum(x.resolved) AS resolved, sum(x.escalated) AS escalated," +
		" sum(x.workaround) AS workaround, sum(x.unresolved) AS unresolved FROM (\n  ")
	counterSources(q, "c", g, g.levels(), "r.sessions, r.resolved, r.escalated, r.workaround, r.unresolved",
		"1, (s.outcome = 'resolved')::int, (s.outcome = 'escalated')::int, (s.outcome = 'workaround')::int, (s.outcome = 'unresolved')::int", "")
	q.add("\n) AS x(id, sessions, resolved, escalated, workaround, unresolved) GROUP BY 1),\n")
	// The per-session count, for windows whose buckets are not intervals.
	q.add("slow AS (SELECT date_trunc(?, s.started_at AT TIME ZONE ?) AS bucket, count(*) AS sessions,"+
		" count(*) FILTER (WHERE s.outcome = 'resolved') AS resolved, count(*) FILTER (WHERE s.outcome = 'escalated') AS escalated,"+
		" count(*) FILTER (WHERE s.outcome = 'workaround') AS workaround, count(*) FILTER (WHERE s.outcome = 'unresolved') AS unresolved"+
		" FROM sessions AS s WHERE s.started_at >= ?::timestamptz AND s.started_at < ?::timestamptz AND ", unit, tz, w.From, w.To)
	g.rawWhere(q, "s")
	q.add(" GROUP BY 1)\n")
	q.add("SELECT iv.bucket::date AS date, coalesce(c.sessions, 0) AS sessions, coalesce(c.resolved, 0) AS resolved," +
		" coalesce(c.escalated, 0) AS escalated, coalesce(c.workaround, 0) AS workaround, coalesce(c.unresolved, 0) AS unresolved" +
		" FROM iv LEFT JOIN counts AS c ON c.id = iv.id WHERE (SELECT ok.ok FROM ok)\n" +
		"UNION ALL SELECT sp.bucket::date, coalesce(c.sessions, 0), coalesce(c.resolved, 0), coalesce(c.escalated, 0)," +
		" coalesce(c.workaround, 0), coalesce(c.unresolved, 0) FROM sp LEFT JOIN slow AS c ON c.bucket = sp.bucket" +
		" WHERE NOT (SELECT ok.ok FROM ok)\nORDER BY 1")
	var points []models.TimeSeriesPoint
	err := s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return db.NewRaw(q.String(), q.args...).Scan(ctx, &points)
	})
	if err != nil {
		return nil, fmt.Errorf("time series: account=%s unit=%s tz=%s: %w", sc.AccountID, unit, tz, err)
	}
	return points, nil
}
