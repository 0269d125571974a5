package store

import (
	"context"
	"fmt"

	"flowlens/models"
)

const seriesColumns = "date date, sessions bigint, resolved bigint, escalated bigint, workaround bigint, unresolved bigint"

// seriesBody is TimeSeries over the rollups. The calendar buckets of the
// window in zone p_tz are intervals of UTC time, [first instant of the
// bucket, first instant of the next), computed by PostgreSQL from the same
// time zone data as the reference's date_trunc(unit, started_at AT TIME
// ZONE tz); each decomposes into whole blocks (rollup rows) and partial
// edges (raw rows) like any window. A bucket boundary on a whole quarter
// hour of UTC (every whole-quarter-hour offset) costs no raw rows for an
// account (an hour for a tree or an engineer, whose finest blocks are
// hours); one off them (a historical local mean time, say) costs the raw
// rows of the block around it.
//
// This is exact when each bucket is one interval of UTC time: every
// boundary's instant is in its bucket and the microsecond before it in an
// earlier one, checked for every boundary. When a check fails (a local
// midnight that does not exist or happens twice, as on a day a zone
// skipped), the statement counts every session by its local bucket instead,
// like the reference.
func seriesBody(g grain) string {
	b := "WITH sp AS (SELECT x AS bucket FROM generate_series(date_trunc(p_unit, p_from AT TIME ZONE p_tz)," +
		" date_trunc(p_unit, (p_to - interval '1 microsecond') AT TIME ZONE p_tz), ('1 ' || p_unit)::interval) AS x),\n"
	b += "bd AS (SELECT sp.bucket, row_number() OVER (ORDER BY sp.bucket) AS id, sp.bucket AT TIME ZONE p_tz AS u," +
		" lead(sp.bucket) OVER (ORDER BY sp.bucket) AS next FROM sp),\n"
	b += "iv AS (SELECT bd.id, bd.bucket, CASE WHEN bd.id = 1 THEN p_from ELSE bd.u END AS lo," +
		" CASE WHEN bd.next IS NULL THEN p_to ELSE bd.next AT TIME ZONE p_tz END AS hi FROM bd),\n"
	b += "ok AS (SELECT coalesce(bool_and(iv.lo < iv.hi AND (iv.id = 1 OR (date_trunc(p_unit, iv.lo AT TIME ZONE p_tz) = iv.bucket" +
		" AND date_trunc(p_unit, (iv.lo - interval '1 microsecond') AT TIME ZONE p_tz) < iv.bucket))), true) AS ok FROM iv),\n"
	b += decomposition("c", "iv", g.levels()) + ",\n"
	b += "counts AS (SELECT x.id, sum(x.sessions) AS sessions, sum(x.resolved) AS resolved, sum(x.escalated) AS escalated," +
		" sum(x.workaround) AS workaround, sum(x.unresolved) AS unresolved FROM (\n  " +
		counterSources("c", g, "r.sessions, r.resolved, r.escalated, r.workaround, r.unresolved", "",
			"1", "(s.outcome = 'resolved')::int", "(s.outcome = 'escalated')::int", "(s.outcome = 'workaround')::int", "(s.outcome = 'unresolved')::int") +
		"\n) AS x(id, sessions, resolved, escalated, workaround, unresolved) GROUP BY 1),\n"
	// The per-session count, for windows whose buckets are not intervals.
	b += "slow AS (SELECT date_trunc(p_unit, s.started_at AT TIME ZONE p_tz) AS bucket, count(*) AS sessions," +
		" count(*) FILTER (WHERE s.outcome = 'resolved') AS resolved, count(*) FILTER (WHERE s.outcome = 'escalated') AS escalated," +
		" count(*) FILTER (WHERE s.outcome = 'workaround') AS workaround, count(*) FILTER (WHERE s.outcome = 'unresolved') AS unresolved" +
		" FROM sessions AS s WHERE s.started_at >= p_from AND s.started_at < p_to AND " + g.rawWhere("s") + " GROUP BY 1)\n"
	return b + "SELECT iv.bucket::date, coalesce(c.sessions, 0)::bigint, coalesce(c.resolved, 0)::bigint," +
		" coalesce(c.escalated, 0)::bigint, coalesce(c.workaround, 0)::bigint, coalesce(c.unresolved, 0)::bigint" +
		" FROM iv LEFT JOIN counts AS c ON c.id = iv.id WHERE (SELECT ok.ok FROM ok)\n" +
		"UNION ALL SELECT sp.bucket::date, coalesce(c.sessions, 0), coalesce(c.resolved, 0), coalesce(c.escalated, 0)," +
		" coalesce(c.workaround, 0), coalesce(c.unresolved, 0) FROM sp LEFT JOIN slow AS c ON c.bucket = sp.bucket" +
		" WHERE NOT (SELECT ok.ok FROM ok)\nORDER BY 1"
}

// rollupTimeSeries is TimeSeries from the rollups
// (flowlens_rollup_series_*).
func (s *Store) rollupTimeSeries(ctx context.Context, sc models.Scope, unit string) ([]models.TimeSeriesPoint, error) {
	g, args := scopeGrain(sc)
	var points []models.TimeSeriesPoint
	err := s.callRollup(ctx, "series_"+grainName(g), append(args, unit, sc.Window.TimeZone), "s.*", " ORDER BY s.date", nil, &points)
	if err != nil {
		return nil, fmt.Errorf("time series: account=%s unit=%s tz=%s: %w", sc.AccountID, unit, sc.Window.TimeZone, err)
	}
	return points, nil
}
