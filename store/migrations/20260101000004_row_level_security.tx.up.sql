-- Row-level security: a second wall behind the account filter of every
-- query. The service connects as flowlens_app, a role that is not
-- superuser, has no BYPASSRLS and owns no tables; it may only read. Each
-- transaction of the service sets `flowlens.account_id` (and, for the
-- authentication lookup only, `flowlens.user_id`) with
-- set_config(..., true); with nothing set, flowlens_app sees no rows.
--
-- The role that runs the migrations owns the tables and keeps full access
-- through its own policies, so the main application's writers (which use
-- the owner role) keep working with FORCE ROW LEVEL SECURITY on.
--
-- Roles and their settings belong to the whole cluster, while migrations run
-- per database, possibly several at once (one per test database): the role
-- is created and configured only when it is missing or differs, and a
-- concurrent migration doing the same ("tuple concurrently updated",
-- "duplicate key") is not an error.
CREATE OR REPLACE FUNCTION flowlens_ensure_app_role() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    want text[] := ARRAY['statement_timeout=5s', 'idle_in_transaction_session_timeout=10s', 'lock_timeout=2s'];
    setting text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'flowlens_app') THEN
        BEGIN
            CREATE ROLE flowlens_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION WHEN unique_violation OR duplicate_object OR internal_error THEN
            NULL; -- created by a concurrent migration
        END;
    END IF;
    FOREACH setting IN ARRAY want LOOP
        IF NOT EXISTS (
            SELECT FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
            WHERE r.rolname = 'flowlens_app' AND s.setdatabase = 0 AND setting = ANY (s.setconfig)
        ) THEN
            BEGIN
                EXECUTE format('ALTER ROLE flowlens_app SET %s = %L',
                               split_part(setting, '=', 1), split_part(setting, '=', 2));
            EXCEPTION WHEN internal_error OR unique_violation THEN
                NULL; -- "tuple concurrently updated": a concurrent migration set it
            END;
        END IF;
    END LOOP;
END
$$;

SELECT flowlens_ensure_app_role();

GRANT USAGE ON SCHEMA public TO flowlens_app;
GRANT SELECT ON accounts, users, trees, sessions, session_ratings, step_ratings TO flowlens_app;

CREATE OR REPLACE FUNCTION flowlens_current_account() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('flowlens.account_id', true), '')::uuid
$$;

CREATE OR REPLACE FUNCTION flowlens_current_user() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('flowlens.user_id', true), '')::uuid
$$;

ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE trees ENABLE ROW LEVEL SECURITY;
ALTER TABLE trees FORCE ROW LEVEL SECURITY;
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE session_ratings ENABLE ROW LEVEL SECURITY;
ALTER TABLE session_ratings FORCE ROW LEVEL SECURITY;
ALTER TABLE step_ratings ENABLE ROW LEVEL SECURITY;
ALTER TABLE step_ratings FORCE ROW LEVEL SECURITY;

-- The service: one account at a time.
CREATE POLICY flowlens_tenant ON accounts FOR SELECT TO flowlens_app
    USING (id = flowlens_current_account());
CREATE POLICY flowlens_tenant ON users FOR SELECT TO flowlens_app
    USING (account_id = flowlens_current_account() OR id = flowlens_current_user());
CREATE POLICY flowlens_tenant ON trees FOR SELECT TO flowlens_app
    USING (account_id = flowlens_current_account());
CREATE POLICY flowlens_tenant ON sessions FOR SELECT TO flowlens_app
    USING (account_id = flowlens_current_account());
CREATE POLICY flowlens_tenant ON session_ratings FOR SELECT TO flowlens_app
    USING (tree_id IN (SELECT t.id FROM trees t WHERE t.account_id = flowlens_current_account()));
CREATE POLICY flowlens_tenant ON step_ratings FOR SELECT TO flowlens_app
    USING (tree_id IN (SELECT t.id FROM trees t WHERE t.account_id = flowlens_current_account()));

-- The owner (the role running this migration, which the main application's
-- writers and `flowlens seed` use): everything.
CREATE POLICY flowlens_owner ON accounts TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY flowlens_owner ON users TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY flowlens_owner ON trees TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY flowlens_owner ON sessions TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY flowlens_owner ON session_ratings TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY flowlens_owner ON step_ratings TO CURRENT_USER USING (true) WITH CHECK (true);
