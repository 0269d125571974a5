package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"flowlens/demo"
	"flowlens/store"
)

// roleHuge is the tenant of the 10,000,000-session data set (--huge).
const roleHuge = "huge"

// hugeSpec is the data set of --huge: one tenant of 10,000,000 sessions
// over the same 95 days, with 3× the trees and engineers of the large one
// (a bigger customer has more of both, which the top lists must rank).
func hugeSpec() (demo.Spec, []tenantSpec) {
	t := []tenantSpec{{roleHuge, demo.AccountSpec{Name: "Initrode Global", Trees: 900, Engineers: 600, Sessions: 10_000_000}}}
	spec := demo.Spec{Seed: 5, Anchor: anchor, Days: 95, Skew: demo.DefaultSkew}
	for _, s := range t {
		spec.Accounts = append(spec.Accounts, s.Account)
	}
	return spec, t
}

// prepareHuge makes sure database <db>_10m holds the 10M data set: it
// reuses a complete one (marker row of the same spec) and otherwise builds
// it (migrations, the seed's loader: COPY with the rollup triggers off,
// then one set-based rebuild of the rollups, then VACUUM ANALYZE),
// printing how long the build took. Unlike the main data set it has no
// plain schema: no original baseline runs on it.
func prepareHuge(ctx context.Context, o *Options) (*dataset, float64, error) {
	spec, specs := hugeSpec()
	name := o.Database + "_10m"
	ownerURL, err := withDatabase(o.AdminURL, name, "")
	if err != nil {
		return nil, 0, err
	}
	appBase, appUser := o.AdminURL, "flowlens_app"
	if o.AppURL != "" {
		appBase, appUser = o.AppURL, ""
	}
	appURL, err := withDatabase(appBase, name, appUser)
	if err != nil {
		return nil, 0, err
	}
	data, err := entities(spec, specs)
	if err != nil {
		return nil, 0, err
	}
	data.OwnerURL, data.AppURL = ownerURL, appURL
	hash := specHash(spec)
	admin, err := pgx.Connect(ctx, o.AdminURL)
	if err != nil {
		return nil, 0, err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return nil, 0, err
	}
	if exists && !o.Rebuild {
		conn, err := pgx.Connect(ctx, ownerURL)
		if err != nil {
			return nil, 0, err
		}
		var secs float64
		err = conn.QueryRow(ctx, "SELECT build_seconds FROM bench.dataset WHERE spec_hash = $1 AND sessions = $2", hash, spec.TotalSessions()).Scan(&secs)
		conn.Close(context.WithoutCancel(ctx))
		if err == nil {
			fmt.Fprintf(o.Out, "10M data set: reusing database %s (built in %.0f s)\n", name, secs)
			return data, secs, migrate(ctx, ownerURL, o.Out)
		}
	}
	if exists {
		if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return nil, 0, err
		}
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, 0, err
	}
	start := time.Now()
	db, err := store.Open(ownerURL, store.PoolConfig{MaxOpen: 4, MaxIdle: 4})
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, markerSQL); err != nil {
		return nil, 0, err
	}
	if _, err := store.Migrate(ctx, db); err != nil {
		return nil, 0, err
	}
	set, err := demo.Generate(spec)
	if err != nil {
		return nil, 0, err
	}
	fmt.Fprintf(o.Out, "10M data set: generating and loading %d sessions into %s\n", spec.TotalSessions(), name)
	if _, err := demo.Load(ctx, db, set, demo.LoadOptions{Batch: 50000, Progress: o.Out}); err != nil {
		return nil, 0, fmt.Errorf("load the 10M data set: %w", err)
	}
	if err := vacuum(ctx, db, "public"); err != nil {
		return nil, 0, err
	}
	secs := time.Since(start).Seconds()
	if _, err := db.ExecContext(ctx, "INSERT INTO bench.dataset (spec_hash, sessions, build_seconds) VALUES (?, ?, ?)", hash, spec.TotalSessions(), secs); err != nil {
		return nil, 0, err
	}
	fmt.Fprintf(o.Out, "10M data set: ready in %.0f s\n", secs)
	return data, secs, nil
}

// hugeCurve measures the four dashboards over LAST_90_DAYS on the 10M
// tenant through the service only (the baselines would take seconds per
// request), for the cost curve's last column.
func (r *runner) hugeCurve(ctx context.Context) (map[string]*result, error) {
	data, _, err := prepareHuge(ctx, r.o)
	if err != nil {
		return nil, err
	}
	hr, err := newRunner(ctx, r.o, data)
	if err != nil {
		return nil, err
	}
	defer hr.close(ctx)
	t := data.tenant(roleHuge, 0)
	qs, err := hr.queries(ctx, t, "LAST_90_DAYS")
	if err != nil {
		return nil, err
	}
	out := map[string]*result{}
	for _, q := range qs {
		res := &result{q: q}
		for i := 0; i < hr.o.Warmup+hr.o.Runs; i++ {
			_, d, qn, ctl, err := hr.serviceRun(ctx, q)
			if err != nil {
				return nil, err
			}
			if i >= hr.o.Warmup {
				res.service = append(res.service, d)
				res.queries, res.control = qn, ctl
			}
		}
		out[q.Kind] = res
	}
	return out, nil
}
