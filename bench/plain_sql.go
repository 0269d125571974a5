package bench

// plainSchemaSQL copies the six tables into schema plain, as the original
// service's database had them: the same rows, no sessions.account_id, no
// row-level security, and only the indexes a plain schema has (primary
// keys, foreign keys, sessions.started_at). The original baseline runs
// there, so it cannot use the service's analytics indexes.
var plainSchemaSQL = []string{
	`DROP SCHEMA IF EXISTS plain CASCADE`,
	`CREATE SCHEMA plain`,
	`CREATE TABLE plain.accounts AS SELECT id, name, created_at FROM public.accounts`,
	`CREATE TABLE plain.users AS SELECT id, account_id, name, email, is_active, is_team_admin, is_super_admin, created_at FROM public.users`,
	`CREATE TABLE plain.trees AS SELECT id, account_id, name, tree_structure, created_at FROM public.trees`,
	`CREATE TABLE plain.sessions AS SELECT id, tree_id, user_id, started_at, completed_at, outcome, decisions FROM public.sessions`,
	`CREATE TABLE plain.session_ratings AS SELECT id, session_id, tree_id, user_id, rating, comment, created_at FROM public.session_ratings`,
	`CREATE TABLE plain.step_ratings AS SELECT id, session_id, tree_id, node_id, helpful, user_id, created_at FROM public.step_ratings`,
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
