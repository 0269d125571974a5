package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"flowlens/models"
)

// bucketCounts counts the sessions of sc per local calendar bucket. When
// the zone's offsets are whole quarter hours during the window, it first
// counts per UTC quarter hour (date_bin: integer arithmetic) and converts
// only those few thousand bins to local time, instead of converting every
// session's start; otherwise it converts every start.
func bucketCounts(db bun.IDB, sc models.Scope, unit string) *bun.SelectQuery {
	tz := sc.Window.TimeZone
	perRow := func(q *bun.SelectQuery, at string) *bun.SelectQuery {
		return q.ColumnExpr("date_trunc(?, "+at+" AT TIME ZONE ?) AS bucket", unit, tz)
	}
	if !sc.Window.QuarterHourAligned() {
		q := perRow(sessions(db, sc), "s.started_at")
		return outcomesPerRow(q).GroupExpr("1")
	}
	bins := sessions(db, sc).
		ColumnExpr("date_bin('15 minutes', s.started_at, timestamptz '2000-01-01 00:00:00+00') AS bin")
	bins = outcomesPerRow(bins).GroupExpr("1")
	q := perRow(db.NewSelect().With("bins", bins).TableExpr("bins AS q"), "q.bin")
	q = q.ColumnExpr("sum(q.sessions) AS sessions")
	return perOutcome(q, func(c string) string { return "sum(q." + c + ")" }).
		GroupExpr("1")
}

// outcomesPerRow adds the session count and the count of each outcome
// (completed or not, as the original service counted them).
func outcomesPerRow(q *bun.SelectQuery) *bun.SelectQuery {
	return outcomeCounts(q.ColumnExpr("count(*) AS sessions"), "")
}

// TimeSeries returns one point per calendar bucket of sc's window in its
// time zone, from the bucket holding the window's first instant to the
// bucket holding its last instant, zeros included, in one statement from
// the rollups (rollupTimeSeries).
func (s *Store) TimeSeries(ctx context.Context, sc models.Scope, g models.Granularity) ([]models.TimeSeriesPoint, error) {
	unit, ok := g.Unit()
	if !ok {
		return nil, models.BadInput("granularity", "%q is not a granularity", string(g))
	}
	if s.raw || !rollupScope(sc, false) {
		return s.Reference().TimeSeries(ctx, sc, g)
	}
	return s.rollupTimeSeries(ctx, sc, unit)
}

// TimeSeries computes Store.TimeSeries from the raw rows, in one statement.
func (r Reference) TimeSeries(ctx context.Context, sc models.Scope, g models.Granularity) ([]models.TimeSeriesPoint, error) {
	unit, ok := g.Unit()
	if !ok {
		return nil, models.BadInput("granularity", "%q is not a granularity", string(g))
	}
	tz := sc.Window.TimeZone
	// The spine of buckets as local timestamps; the window's last instant is
	// one microsecond (PostgreSQL's resolution) before its exclusive end.
	var points []models.TimeSeriesPoint
	err := r.s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		spine := db.NewSelect().
			ColumnExpr("g AS bucket").
			TableExpr("generate_series(date_trunc(?, ?::timestamptz AT TIME ZONE ?), date_trunc(?, (?::timestamptz - interval '1 microsecond') AT TIME ZONE ?), ?::interval) AS g",
				unit, sc.Window.From, tz, unit, sc.Window.To, tz, "1 "+unit)
		counts := bucketCounts(db, sc, unit)
		q := db.NewSelect().
			With("spine", spine).
			With("counts", counts).
			TableExpr("spine AS b").
			Join("LEFT JOIN counts AS c ON c.bucket = b.bucket").
			ColumnExpr("b.bucket::date AS date").
			ColumnExpr("coalesce(c.sessions, 0) AS sessions")
		return perOutcome(q, func(c string) string { return "coalesce(c." + c + ", 0)" }).
			OrderExpr("b.bucket").
			Scan(ctx, &points)
	})
	if err != nil {
		return nil, fmt.Errorf("time series: account=%s unit=%s tz=%s: %w", sc.AccountID, unit, tz, err)
	}
	return points, nil
}
