-- Drill-down (the sessions lists and the CSV export): keyset pages in the
-- three orders for every scope, and the filter criteria that need more
-- than a scan in that order.
--
-- Under row-level security a condition can serve as an index condition
-- only when every function in it is leakproof: plain comparisons of plain
-- columns (uuid, timestamptz, integer and text equality and order), never
-- jsonb operators, left(), date_part() or GIN containment, which
-- PostgreSQL evaluates after the policies, row by row. So what the lists
-- seek on is kept in plain columns, filled by triggers: the LONGEST key, the
-- drop-off node, the latest csat, and the visited nodes in a table of
-- their own. Writers that know none of them keep working unchanged.
-- Migration 20260101000021 vacuums what the backfills below leave behind
-- and 20260101000022 creates the indexes over the compacted table (an
-- index built here, in the backfills' transaction, would hold every dead
-- row version too: twice the entries).

-- 1. sessions.csat: the rating of the session's latest session rating
-- (greatest created_at, ties by the smallest id), NULL when it has none.
-- Writers that do not know the column keep working: it is nullable and
-- triggers on session_ratings keep it right on every insert, update and
-- delete of a rating, in the writer's own transaction.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS csat smallint NULL;

CREATE OR REPLACE FUNCTION flowlens_session_csat(session uuid) RETURNS smallint
LANGUAGE sql STABLE AS $$
    SELECT r.rating::smallint FROM session_ratings r
    WHERE r.session_id = session
    ORDER BY r.created_at DESC, r.id ASC
    LIMIT 1
$$;

CREATE OR REPLACE FUNCTION flowlens_ratings_set_csat() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.session_id IS NOT NULL THEN
        UPDATE sessions SET csat = flowlens_session_csat(OLD.session_id)
        WHERE id = OLD.session_id AND csat IS DISTINCT FROM flowlens_session_csat(OLD.session_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.session_id IS NOT NULL THEN
        UPDATE sessions SET csat = flowlens_session_csat(NEW.session_id)
        WHERE id = NEW.session_id AND csat IS DISTINCT FROM flowlens_session_csat(NEW.session_id);
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS session_ratings_set_csat ON session_ratings;
CREATE TRIGGER session_ratings_set_csat
    AFTER INSERT OR UPDATE OF session_id, rating, created_at OR DELETE ON session_ratings
    FOR EACH ROW EXECUTE FUNCTION flowlens_ratings_set_csat();

-- Backfill the ratings written before this migration.
UPDATE sessions s SET csat = l.rating
FROM (SELECT DISTINCT ON (r.session_id) r.session_id, r.rating::smallint AS rating
      FROM session_ratings r WHERE r.session_id IS NOT NULL
      ORDER BY r.session_id, r.created_at DESC, r.id ASC) l
WHERE s.id = l.session_id AND s.csat IS DISTINCT FROM l.rating;

-- 2. sessions.longest_key and sessions.dropoff_node, filled by a trigger
-- on every insert and every change of started_at, completed_at or
-- decisions:
--   longest_key: the LONGEST order's key, completed_at - started_at in
--     microseconds (exact: extract gives numeric seconds), the smallest
--     bigint for a session not completed (after every completed one,
--     negative durations included);
--   dropoff_node: for a session not completed whose decisions array's last
--     entry is a counted decision (an object whose node_id is a non-empty
--     string), that node id's first 200 characters (so that no index entry
--     can grow too large for a writer's row); NULL for every other session.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS longest_key bigint NULL;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS dropoff_node text NULL;

CREATE OR REPLACE FUNCTION flowlens_longest_key(started timestamptz, completed timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN completed IS NULL THEN -9223372036854775808
                ELSE (extract(epoch FROM completed - started) * 1000000)::bigint END
$$;

CREATE OR REPLACE FUNCTION flowlens_dropoff_node(completed timestamptz, decisions jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN completed IS NULL AND jsonb_typeof(decisions) = 'array'
                     AND jsonb_typeof(decisions -> -1 -> 'node_id') = 'string'
                THEN left(nullif(decisions -> -1 ->> 'node_id', ''), 200) END
$$;

CREATE OR REPLACE FUNCTION flowlens_sessions_derive() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.longest_key := flowlens_longest_key(NEW.started_at, NEW.completed_at);
    NEW.dropoff_node := flowlens_dropoff_node(NEW.completed_at, NEW.decisions);
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS sessions_derive ON sessions;
CREATE TRIGGER sessions_derive
    BEFORE INSERT OR UPDATE OF started_at, completed_at, decisions, longest_key, dropoff_node ON sessions
    FOR EACH ROW EXECUTE FUNCTION flowlens_sessions_derive();

UPDATE sessions SET longest_key = flowlens_longest_key(started_at, completed_at),
                    dropoff_node = flowlens_dropoff_node(completed_at, decisions)
WHERE longest_key IS DISTINCT FROM flowlens_longest_key(started_at, completed_at)
   OR dropoff_node IS DISTINCT FROM flowlens_dropoff_node(completed_at, decisions);

-- 3. session_visits: one row per session and node id of its counted
-- decisions (the id's first 200 characters), with the session's account,
-- tree, user, start and LONGEST key, kept by triggers in the writer's own
-- transaction. A visitedNode list reads it in its order, one index entry
-- per listed session, whether the node is on every session or on a few.
CREATE TABLE IF NOT EXISTS session_visits (
    session_id  uuid NOT NULL, -- sessions.id; kept by the trigger (a foreign key would check every row of a bulk load)
    node        text NOT NULL,
    account_id  uuid NULL,
    tree_id     uuid NOT NULL,
    user_id     uuid NOT NULL,
    started_at  timestamptz NOT NULL,
    longest_key bigint NOT NULL,
    PRIMARY KEY (session_id, node)
);

CREATE OR REPLACE FUNCTION flowlens_visited_nodes(decisions jsonb) RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT left(e.step ->> 'node_id', 200)
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(decisions) = 'array' THEN decisions END) AS e(step)
    WHERE jsonb_typeof(e.step -> 'node_id') = 'string' AND e.step ->> 'node_id' <> ''
$$;

CREATE OR REPLACE FUNCTION flowlens_sessions_visits() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM session_visits WHERE session_id = OLD.id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    INSERT INTO session_visits (session_id, node, account_id, tree_id, user_id, started_at, longest_key)
    SELECT NEW.id, n, NEW.account_id, NEW.tree_id, NEW.user_id, NEW.started_at, NEW.longest_key
    FROM flowlens_visited_nodes(NEW.decisions) AS n;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS sessions_visits ON sessions;
CREATE TRIGGER sessions_visits
    AFTER INSERT OR UPDATE OF id, tree_id, user_id, account_id, started_at, completed_at, decisions, longest_key OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION flowlens_sessions_visits();

INSERT INTO session_visits (session_id, node, account_id, tree_id, user_id, started_at, longest_key)
SELECT s.id, n, s.account_id, s.tree_id, s.user_id, s.started_at, s.longest_key
FROM sessions s CROSS JOIN LATERAL flowlens_visited_nodes(s.decisions) AS n
ON CONFLICT DO NOTHING;

-- The same walls as the six tables (migration 0004).
GRANT SELECT ON session_visits TO flowlens_app;
ALTER TABLE session_visits ENABLE ROW LEVEL SECURITY;
ALTER TABLE session_visits FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS flowlens_tenant ON session_visits;
CREATE POLICY flowlens_tenant ON session_visits FOR SELECT TO flowlens_app
    USING (account_id = flowlens_current_account());
DROP POLICY IF EXISTS flowlens_owner ON session_visits;
CREATE POLICY flowlens_owner ON session_visits TO CURRENT_USER USING (true) WITH CHECK (true);
