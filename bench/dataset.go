package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"flowlens/demo"
	"flowlens/store"
)

// tenant is one account of the data set, with what the bench needs to
// query it and to check that answers belong to it.
type tenant struct {
	Role     string
	Name     string
	ID       uuid.UUID
	Sessions int
	// Admin is a team admin of the account (teamAnalytics, flowAnalytics).
	Admin uuid.UUID
	Users map[uuid.UUID]bool
	Trees map[uuid.UUID]bool
}

// dataset is the prepared benchmark database.
type dataset struct {
	Spec     demo.Spec
	Tenants  []*tenant
	OwnerURL string // the bench database as its owner
	AppURL   string // the bench database as the service's role
}

// tenant returns the n-th tenant (from 0) of role.
func (d *dataset) tenant(role string, n int) *tenant {
	for _, t := range d.Tenants {
		if t.Role == role {
			if n == 0 {
				return t
			}
			n--
		}
	}
	return nil
}

// withDatabase returns dsn pointing at database name, as user when not empty.
func withDatabase(dsn, name, user string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("not a PostgreSQL URL: %w", err)
	}
	u.Path = "/" + name
	if user != "" {
		u.User = url.User(user)
	}
	return u.String(), nil
}

// prepare makes sure the bench database holds the data set of spec: it
// reuses a complete one (marker row with the same spec hash, same session
// counts) and otherwise builds it from scratch. It always applies pending
// migrations, so new indexes reach an existing data set.
func prepare(ctx context.Context, o *Options, spec demo.Spec, out io.Writer) (*dataset, error) {
	ownerURL, err := withDatabase(o.AdminURL, o.Database, "")
	if err != nil {
		return nil, err
	}
	appBase, appUser := o.AdminURL, "flowlens_app"
	if o.AppURL != "" {
		appBase, appUser = o.AppURL, ""
	}
	appURL, err := withDatabase(appBase, o.Database, appUser)
	if err != nil {
		return nil, err
	}
	data, err := entities(spec, tenantSpecs(o.Quick))
	if err != nil {
		return nil, err
	}
	data.OwnerURL, data.AppURL = ownerURL, appURL
	hash := specHash(spec)

	admin, err := pgx.Connect(ctx, o.AdminURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", store.HostPort(o.AdminURL), err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", o.Database).Scan(&exists); err != nil {
		return nil, err
	}
	if exists {
		state, err := datasetState(ctx, ownerURL, hash, spec.TotalSessions())
		if err != nil {
			return nil, err
		}
		switch {
		case state == stateComplete && !o.Rebuild:
			fmt.Fprintf(out, "data set: reusing database %s (spec %s…)\n", o.Database, hash[:12])
			return data, migrate(ctx, ownerURL, out)
		case state == stateForeign:
			return nil, fmt.Errorf("database %s exists and was not made by the bench (no bench.dataset table); choose another name with --db", o.Database)
		}
		fmt.Fprintf(out, "data set: database %s holds another or an incomplete data set: rebuilding it\n", o.Database)
		if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{o.Database}.Sanitize()+" WITH (FORCE)"); err != nil {
			return nil, fmt.Errorf("drop database %s: %w", o.Database, err)
		}
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{o.Database}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", o.Database, err)
	}
	return data, build(ctx, o, spec, hash, ownerURL, out)
}

// Dataset states.
const (
	stateForeign    = iota // not a bench database
	stateIncomplete        // a bench database of another spec, or unfinished
	stateComplete
)

// datasetState tells what the existing bench database holds.
func datasetState(ctx context.Context, ownerURL, hash string, sessions int) (int, error) {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var marker bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('bench.dataset') IS NOT NULL").Scan(&marker); err != nil {
		return 0, err
	}
	if !marker {
		return stateForeign, nil
	}
	var ok bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM bench.dataset WHERE spec_hash = $1 AND sessions = $2)
		AND (SELECT count(*) FROM public.sessions) = $2
		AND to_regclass('plain.sessions') IS NOT NULL
		AND (SELECT count(*) FROM plain.sessions) = $2`, hash, sessions).Scan(&ok)
	if err != nil || !ok {
		return stateIncomplete, nil // any failure (a missing table, a count) means: rebuild
	}
	return stateComplete, nil
}

// migrate applies the service's migrations to the bench database.
func migrate(ctx context.Context, ownerURL string, out io.Writer) error {
	db, err := store.Open(ownerURL, store.PoolConfig{MaxOpen: 2, MaxIdle: 1})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := store.Migrate(ctx, db)
	if err != nil {
		return err
	}
	for _, m := range applied {
		fmt.Fprintln(out, "data set: applied migration", m)
	}
	if len(applied) > 0 {
		return vacuum(ctx, db, "public")
	}
	return nil
}

// build migrates the new database, loads the generated data with COPY,
// copies it into the plain schema, refreshes statistics and visibility
// maps, and writes the marker row last.
func build(ctx context.Context, o *Options, spec demo.Spec, hash, ownerURL string, out io.Writer) error {
	start := time.Now()
	db, err := store.Open(ownerURL, store.PoolConfig{MaxOpen: 4, MaxIdle: 4})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, markerSQL); err != nil {
		return fmt.Errorf("create marker table: %w", err)
	}
	if _, err := store.Migrate(ctx, db); err != nil {
		return err
	}
	set, err := demo.Generate(spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "data set: generating and loading %d tenants, %d sessions into %s\n", len(spec.Accounts), spec.TotalSessions(), o.Database)
	if _, err := demo.Load(ctx, db, set, demo.LoadOptions{Batch: 50000, Progress: out}); err != nil {
		return fmt.Errorf("load data set: %w", err)
	}
	fmt.Fprintf(out, "data set: loaded in %.0fs; copying into schema plain (original baseline)\n", time.Since(start).Seconds())
	for _, q := range plainSchemaSQL {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("plain schema: %s: %w", q, err)
		}
	}
	fmt.Fprintf(out, "data set: vacuum and analyze (%.0fs so far)\n", time.Since(start).Seconds())
	if err := vacuum(ctx, db, "public"); err != nil {
		return err
	}
	if err := vacuum(ctx, db, "plain"); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	if _, err := db.ExecContext(ctx, "INSERT INTO bench.dataset (spec_hash, sessions, build_seconds) VALUES (?, ?, ?)", hash, spec.TotalSessions(), secs); err != nil {
		return fmt.Errorf("write marker: %w", err)
	}
	fmt.Fprintf(out, "data set: ready in %.0fs\n", secs)
	return nil
}

// vacuum sets the visibility maps (index-only scans) and statistics of the
// six tables of schema, and of the service's own session_visits in public.
func vacuum(ctx context.Context, db *bun.DB, schema string) error {
	tables := make([]string, 0, len(store.AppTables)+1)
	for _, t := range store.AppTables {
		tables = append(tables, t.Name)
	}
	if schema == "public" {
		tables = append(append(tables, "session_visits"), store.RollupTables...)
	}
	for _, t := range tables {
		q := "VACUUM (ANALYZE) " + pgx.Identifier{schema, t}.Sanitize()
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// entities generates the accounts, users and trees of spec (not the
// sessions) and returns the tenants.
func entities(spec demo.Spec, specs []tenantSpec) (*dataset, error) {
	set, err := demo.Generate(spec)
	if err != nil {
		return nil, err
	}
	if len(specs) != len(set.Accounts) {
		return nil, errors.New("bench: tenant roles do not match the data set")
	}
	d := &dataset{Spec: spec}
	byID := map[uuid.UUID]*tenant{}
	for i, a := range set.Accounts {
		t := &tenant{Role: specs[i].Role, Name: a.Name, ID: a.ID, Sessions: specs[i].Account.Sessions,
			Users: map[uuid.UUID]bool{}, Trees: map[uuid.UUID]bool{}}
		d.Tenants = append(d.Tenants, t)
		byID[a.ID] = t
	}
	for _, u := range set.Users {
		t := byID[u.AccountID]
		t.Users[u.ID] = true
		if u.IsTeamAdmin && t.Admin == uuid.Nil {
			t.Admin = u.ID
		}
	}
	for _, tr := range set.Trees {
		byID[tr.AccountID].Trees[tr.ID] = true
	}
	for _, t := range d.Tenants {
		if t.Admin == uuid.Nil {
			return nil, fmt.Errorf("bench: tenant %s has no team admin", t.Name)
		}
	}
	return d, nil
}
