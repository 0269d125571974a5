package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// floor answers a dashboard with the floor's statements, one connection
// per field, all fields at once (the parallelism of the service's sibling
// resolvers).
type floor struct {
	pool *pgxpool.Pool
}

func connectFloor(ctx context.Context, ownerURL string, size int) (*floor, error) {
	cfg, err := pgxpool.ParseConfig(ownerURL)
	if err != nil {
		return nil, err
	}
	// The settings that measure best, as the service uses them.
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	cfg.ConnConfig.RuntimeParams["work_mem"] = "64MB"
	cfg.MaxConns = int32(size)
	cfg.MinConns = int32(size)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &floor{pool: pool}, nil
}

func (f *floor) close() { f.pool.Close() }

// fields runs the field functions concurrently and returns the first error.
func fields(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn() }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// run answers q and returns the number of statements.
func (f *floor) run(ctx context.Context, q query) (answer, int, error) {
	var a answer
	sc := q.scope()
	fns := []func() error{
		func() (err error) { a.Summary, err = f.summary(ctx, sc); return },
		func() (err error) { a.PreviousSummary, err = f.summary(ctx, sc.previous()); return },
		func() (err error) { a.TimeSeries, err = f.series(ctx, sc); return },
	}
	switch q.Kind {
	case kindFlow:
		var structure *string
		var steps map[string]*step
		fns = append(fns,
			func() error { return f.tree(ctx, sc, &a, &structure) },
			func() error { return f.csat(ctx, sc, &a) },
			func() (err error) { steps, err = f.steps(ctx, sc); return },
			func() error { return f.comments(ctx, sc, q.Limit, &a) },
		)
		if err := fields(fns...); err != nil {
			return a, 0, err
		}
		a.StepFeedback = finishSteps(steps, structure)
		return a, len(fns), nil
	case kindMy:
		fns = append(fns, func() (err error) { a.TopFlows, err = f.top(ctx, sc, false, q.Limit); return })
	default:
		fns = append(fns,
			func() (err error) { a.TopFlows, err = f.top(ctx, sc, false, q.Limit); return },
			func() (err error) { a.TopEngineers, err = f.top(ctx, sc, true, q.Limit); return },
		)
	}
	return a, len(fns), fields(fns...)
}

func (f *floor) summary(ctx context.Context, sc scope) (*summary, error) {
	_, args := floorWhere(sc)
	var s summary
	o := &s.OutcomeBreakdown
	err := f.pool.QueryRow(ctx, floorSummarySQL(sc), args...).Scan(&s.TotalSessions, &s.CompletedSessions,
		&s.CompletionRate, &s.MedianDurationMinutes, &s.P90DurationMinutes, &s.ActiveEngineers,
		&o.Resolved, &o.Escalated, &o.Workaround, &o.Unresolved)
	if err != nil {
		return nil, fmt.Errorf("floor summary: %w", err)
	}
	return &s, nil
}

func (f *floor) series(ctx context.Context, sc scope) ([]point, error) {
	_, args := floorWhere(sc)
	rows, err := f.pool.Query(ctx, floorSeriesSQL(sc), args...)
	if err != nil {
		return nil, fmt.Errorf("floor series: %w", err)
	}
	var p point
	return collect(rows, []any{&p.Date, &p.Sessions, &p.Resolved, &p.Escalated, &p.Workaround, &p.Unresolved},
		func() point { return p })
}

func (f *floor) top(ctx context.Context, sc scope, users bool, limit int) ([]top, error) {
	_, args := floorWhere(sc)
	rows, err := f.pool.Query(ctx, floorTopSQL(sc, users), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("floor top: %w", err)
	}
	var t top
	return collect(rows, []any{&t.ID, &t.Name, &t.Sessions, &t.CompletionRate, &t.MedianDurationMinutes},
		func() top { return t })
}

func (f *floor) tree(ctx context.Context, sc scope, a *answer, structure **string) error {
	var ref flowRef
	if err := f.pool.QueryRow(ctx, floorTreeSQL, sc.Account, *sc.Tree).Scan(&ref.ID, &ref.Name, structure); err != nil {
		return fmt.Errorf("floor tree: %w", err)
	}
	a.Flow = &ref
	return nil
}

func (f *floor) csat(ctx context.Context, sc scope, a *answer) error {
	var n [5]int
	err := f.pool.QueryRow(ctx, floorCsatSQL, sc.Account, *sc.Tree, sc.From, sc.To).Scan(&a.AvgCsat, &a.TotalRatings,
		&n[0], &n[1], &n[2], &n[3], &n[4])
	if err != nil {
		return fmt.Errorf("floor csat: %w", err)
	}
	for i, c := range n {
		a.RatingDistribution = append(a.RatingDistribution, ratingCount{Rating: i + 1, Count: c})
	}
	return nil
}

func (f *floor) steps(ctx context.Context, sc scope) (map[string]*step, error) {
	_, args := floorWhere(sc)
	rows, err := f.pool.Query(ctx, floorStepsSQL(sc), args...)
	if err != nil {
		return nil, fmt.Errorf("floor steps: %w", err)
	}
	var s step
	list, err := collect(rows, []any{&s.NodeID, &s.VisitCount, &s.DropoffCount, &s.HelpfulYes, &s.HelpfulNo},
		func() step { return s })
	if err != nil {
		return nil, err
	}
	m := make(map[string]*step, len(list))
	for i := range list {
		m[list[i].NodeID] = &list[i]
	}
	return m, nil
}

func (f *floor) comments(ctx context.Context, sc scope, limit int, a *answer) error {
	rows, err := f.pool.Query(ctx, floorCommentsSQL, sc.Account, *sc.Tree, limit)
	if err != nil {
		return fmt.Errorf("floor comments: %w", err)
	}
	var c comment
	var at time.Time
	a.RecentComments, err = collect(rows, []any{&c.Rating, &c.Comment, &at}, func() comment {
		c.CreatedAt = at.UTC().Format(time.RFC3339Nano)
		return c
	})
	return err
}

// collect scans every row into dst and appends item() for each.
func collect[T any](rows pgx.Rows, dst []any, item func() T) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		out = append(out, item())
	}
	return out, rows.Err()
}
