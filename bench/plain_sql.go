package bench

import (
	"slices"
	"strings"

	"flowlens/store"
)

// plainSchemaSQL copies the six tables into schema plain, as the original
// service's database had them: the same rows, only the columns of the main
// application (no sessions.account_id), no row-level security, and only the
// indexes a plain schema has (primary keys, foreign keys,
// sessions.started_at). The original baseline runs there, so it cannot use
// the service's analytics indexes.
var plainSchemaSQL = slices.Concat([]string{
	`DROP SCHEMA IF EXISTS plain CASCADE`,
	`CREATE SCHEMA plain`,
}, plainCopies(), []string{
	`ALTER TABLE plain.accounts ADD PRIMARY KEY (id)`,
	`ALTER TABLE plain.users ADD PRIMARY KEY (id), ADD FOREIGN KEY (account_id) REFERENCES plain.accounts (id)`,
	`ALTER TABLE plain.trees ADD PRIMARY KEY (id), ADD FOREIGN KEY (account_id) REFERENCES plain.accounts (id)`,
	`ALTER TABLE plain.sessions ADD PRIMARY KEY (id), ADD FOREIGN KEY (tree_id) REFERENCES plain.trees (id), ADD FOREIGN KEY (user_id) REFERENCES plain.users (id)`,
	`ALTER TABLE plain.session_ratings ADD PRIMARY KEY (id), ADD FOREIGN KEY (session_id) REFERENCES plain.sessions (id), ADD FOREIGN KEY (tree_id) REFERENCES plain.trees (id), ADD FOREIGN KEY (user_id) REFERENCES plain.users (id)`,
	`ALTER TABLE plain.step_ratings ADD PRIMARY KEY (id), ADD FOREIGN KEY (session_id) REFERENCES plain.sessions (id), ADD FOREIGN KEY (tree_id) REFERENCES plain.trees (id), ADD FOREIGN KEY (user_id) REFERENCES plain.users (id)`,
	`CREATE INDEX ON plain.users (account_id)`,
	`CREATE INDEX ON plain.trees (account_id)`,
	`CREATE INDEX ON plain.sessions (tree_id)`,
	`CREATE INDEX ON plain.sessions (user_id)`,
	`CREATE INDEX ON plain.sessions (started_at)`,
	`CREATE INDEX ON plain.session_ratings (session_id)`,
	`CREATE INDEX ON plain.session_ratings (tree_id)`,
	`CREATE INDEX ON plain.session_ratings (user_id)`,
	`CREATE INDEX ON plain.step_ratings (session_id)`,
	`CREATE INDEX ON plain.step_ratings (tree_id)`,
	`CREATE INDEX ON plain.step_ratings (user_id)`,
})

// plainCopies creates each table of the main application in schema plain
// with its rows and the main application's columns.
func plainCopies() []string {
	var out []string
	for _, t := range store.AppTables {
		cols := strings.Join(t.Columns, ", ")
		out = append(out, "CREATE TABLE plain."+t.Name+" AS SELECT "+cols+" FROM public."+t.Name)
	}
	return out
}

// markerSQL creates the table that says which data set the database holds;
// its one row is written last, when everything else is in place.
const markerSQL = `CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE IF NOT EXISTS bench.dataset (
    spec_hash text NOT NULL,
    sessions  bigint NOT NULL,
    built_at  timestamptz NOT NULL DEFAULT now(),
    build_seconds float8 NOT NULL
)`
