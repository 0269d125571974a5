package store

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// rollupQuery is one field's statement over the rollups, installed as the
// PL/pgSQL function flowlens_rollup_<name>(params) RETURNS TABLE(returns):
// the statement is planned once per connection (a generic plan: its
// parameters change only the ranges it reads) instead of once per request,
// which for these statements would cost more than reading the rows. The
// functions run as the caller, under its row-level security.
type rollupQuery struct {
	name    string
	params  []param
	returns string
	body    string
}

// param is one parameter of a rollup function.
type param struct{ name, typ string }

var (
	pAccount = param{"p_account", "uuid"}
	pTree    = param{"p_tree", "uuid"}
	pUser    = param{"p_user", "uuid"}
	pFrom    = param{"p_from", "timestamptz"}
	pTo      = param{"p_to", "timestamptz"}
	pLimit   = param{"p_limit", "integer"}
	pUnit    = param{"p_unit", "text"}
	pZone    = param{"p_tz", "text"}
)

// scopeParams returns the parameters selecting the sessions of grain g.
func scopeParams(g grain) []param {
	ps := []param{pAccount}
	if g.tree {
		ps = append(ps, pTree)
	}
	if g.user {
		ps = append(ps, pUser)
	}
	return append(ps, pFrom, pTo)
}

// grainName names a grain in function names.
func grainName(g grain) string {
	switch {
	case g.tree:
		return "tree"
	case g.user:
		return "user"
	}
	return "account"
}

// rollupQueries returns every rollup function: the summary and time series
// of an account, a tree or an engineer; the top flows and engineers and
// their completion counts of an account or an engineer; a tree's ratings,
// step statistics, transitions and exit nodes. hours: the account's
// durations are rolled up from hours (migration 0039 applied).
func rollupQueries(hours bool) []rollupQuery {
	var qs []rollupQuery
	for _, g := range []grain{{}, {tree: true}, {user: true}} {
		qs = append(qs,
			rollupQuery{"summary_" + grainName(g), scopeParams(g), summaryColumns, summaryBody(g, hours)},
			rollupQuery{"series_" + grainName(g), append(scopeParams(g), pUnit, pZone), seriesColumns, seriesBody(g)},
			rollupQuery{"counts_" + grainName(g), scopeParams(g), countsColumns, countsBody(g)})
	}
	for _, g := range []grain{{}, {user: true}} {
		for _, l := range []struct{ name, col, named string }{{"flows", "tree_id", namedTrees}, {"engineers", "user_id", namedUsers}} {
			lg := g
			lg.list = l.col
			qs = append(qs,
				rollupQuery{"top_" + l.name + "_" + grainName(g), append(scopeParams(g), pLimit), topColumns, topBody(lg, l.named)},
				rollupQuery{"completions_" + l.name + "_" + grainName(g), scopeParams(g), l.col + " uuid, completed bigint", completionsBody(lg)})
		}
	}
	flow := []param{pAccount, pTree, pFrom, pTo}
	return append(qs,
		rollupQuery{"session_ratings_avg", flow, ratingsColumns, ratingsBody()},
		rollupQuery{"steps", flow, "structure text, stats text", stepsBody()},
		rollupQuery{"transitions", append(flow, pLimit), "structure text, stats text", transitionsBody()},
		rollupQuery{"exits", append(flow, pLimit), "structure text, stats text", exitsBody()})
}

// InstallRollupQueries (re)creates the rollup functions of this binary in
// one transaction, for a database with every migration applied; Migrate
// calls it after the migrations, so the functions always match the code
// that calls them (like the schema, they change only when `flowlens
// migrate` runs). db must be the tables' owner.
func InstallRollupQueries(ctx context.Context, db *bun.DB) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return installRollupQueries(ctx, tx, true)
	})
}

// installRollupQueries installs the functions of rollupQueries(hours).
func installRollupQueries(ctx context.Context, db bun.IConn, hours bool) error {
	for _, q := range rollupQueries(hours) {
		var ps, types []string
		for _, p := range q.params {
			ps = append(ps, p.name+" "+p.typ)
			types = append(types, p.typ)
		}
		name := "flowlens_rollup_" + q.name
		sql := "DROP FUNCTION IF EXISTS " + name + "(" + strings.Join(types, ", ") + ");\n" +
			"CREATE FUNCTION " + name + "(" + strings.Join(ps, ", ") + ") RETURNS TABLE (" + q.returns + ")\n" +
			"LANGUAGE plpgsql STABLE PARALLEL SAFE SET plan_cache_mode = force_generic_plan AS $body$\n" +
			"#variable_conflict use_column\nBEGIN\nRETURN QUERY\n" + q.body + ";\nEND\n$body$"
		if _, err := db.ExecContext(ctx, sql); err != nil {
			return fmt.Errorf("install %s: %w", name, err)
		}
	}
	return nil
}

// rollupFunctions are the rollup functions by name.
var rollupFunctions = sync.OnceValue(func() map[string]rollupQuery {
	m := map[string]rollupQuery{}
	for _, q := range rollupQueries(true) {
		m[q.name] = q
	}
	return m
})

// callRollup runs flowlens_rollup_<name>(args...) (args in its parameters'
// order, the account first) as that account, read-only: SELECT cols FROM
// it AS s, then tail (a condition, with tailArgs), into dest. One
// statement, in one round trip (inAccountStatement).
func (s *Store) callRollup(ctx context.Context, name string, args []any, cols, tail string, tailArgs []any, dest any) error {
	q, ok := rollupFunctions()[name]
	if !ok || len(q.params) != len(args) {
		return fmt.Errorf("rollup function %s: %d arguments for %d parameters", name, len(args), len(q.params))
	}
	account, ok := args[0].(uuid.UUID)
	if !ok {
		return fmt.Errorf("rollup function %s: the first argument is a %T, not the account id", name, args[0])
	}
	var ph []string
	for _, p := range q.params[1:] {
		ph = append(ph, "?::"+p.typ) // typed, so no two literals are neighbours
	}
	build := func(from, account string) string {
		return "SELECT " + cols + " FROM " + from + "flowlens_rollup_" + name + "(" + strings.Join(append([]string{account}, ph...), ", ") + ") AS s" + tail
	}
	return s.inAccountStatement(ctx, account, build, append(args[1:len(args):len(args)], tailArgs...), dest)
}
