-- Drill-down (the sessions lists and the CSV export): keyset pages in the
-- three orders for every scope, and the filter criteria that need more
-- than a scan in that order.
--
-- The expressions below are repeated word for word by store/sessions.go
-- (an expression index serves only a query that spells the same
-- expression).

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

-- 2. NEWEST and OLDEST: the covering scope indexes of migrations 0003 and
-- 0005 again, under the same names and with the same leading columns (so
-- the dashboards' index-only scans keep them), now with the session id as
-- the last key column and csat among the included columns. A page reads
-- `first` entries from the cursor on, index only: OLDEST in index order,
-- NEWEST backwards with the (rare) equal start times put in id order by an
-- incremental sort.
DROP INDEX IF EXISTS sessions_account_started_idx;
CREATE INDEX sessions_account_started_idx
    ON sessions (account_id, started_at, id) INCLUDE (tree_id, user_id, completed_at, outcome, csat)
    WHERE account_id IS NOT NULL;
DROP INDEX IF EXISTS sessions_tree_started_idx;
CREATE INDEX sessions_tree_started_idx
    ON sessions (tree_id, started_at, id) INCLUDE (account_id, user_id, completed_at, outcome, csat);
DROP INDEX IF EXISTS sessions_user_started_idx;
CREATE INDEX sessions_user_started_idx
    ON sessions (user_id, started_at, id) INCLUDE (account_id, tree_id, completed_at, outcome, csat);

-- 3. LONGEST: duration in seconds descending, -Infinity for the sessions
-- not completed (after every completed one, negative durations included),
-- then id; one index per scope, covering the criteria that need no
-- decisions.
CREATE INDEX IF NOT EXISTS sessions_account_longest_idx
    ON sessions (account_id, (coalesce(date_part('epoch', completed_at - started_at), '-Infinity'::float8)) DESC, id)
    INCLUDE (started_at, completed_at, tree_id, user_id, outcome, csat)
    WHERE account_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS sessions_tree_longest_idx
    ON sessions (tree_id, (coalesce(date_part('epoch', completed_at - started_at), '-Infinity'::float8)) DESC, id)
    INCLUDE (account_id, started_at, completed_at, user_id, outcome, csat);
CREATE INDEX IF NOT EXISTS sessions_user_longest_idx
    ON sessions (user_id, (coalesce(date_part('epoch', completed_at - started_at), '-Infinity'::float8)) DESC, id)
    INCLUDE (account_id, started_at, completed_at, tree_id, outcome, csat);

-- 4. droppedOffAt: the node a session not completed dropped off at (its
-- decisions array's last entry is a counted decision: an object whose
-- node_id is a non-empty string), per flow, in start order and in id order
-- (LONGEST among sessions not completed is id order). Only the first 200
-- characters are indexed, so that a writer's row never makes an index
-- entry too large; a shorter node id is matched exactly by them alone.
CREATE INDEX IF NOT EXISTS sessions_tree_dropoff_idx
    ON sessions (tree_id, left(CASE WHEN completed_at IS NULL AND jsonb_typeof(decisions) = 'array' AND jsonb_typeof(decisions -> -1 -> 'node_id') = 'string' THEN nullif(decisions -> -1 ->> 'node_id', '') END, 200), started_at, id)
    WHERE (CASE WHEN completed_at IS NULL AND jsonb_typeof(decisions) = 'array' AND jsonb_typeof(decisions -> -1 -> 'node_id') = 'string' THEN nullif(decisions -> -1 ->> 'node_id', '') END) IS NOT NULL;
CREATE INDEX IF NOT EXISTS sessions_tree_dropoff_id_idx
    ON sessions (tree_id, left(CASE WHEN completed_at IS NULL AND jsonb_typeof(decisions) = 'array' AND jsonb_typeof(decisions -> -1 -> 'node_id') = 'string' THEN nullif(decisions -> -1 ->> 'node_id', '') END, 200), id)
    WHERE (CASE WHEN completed_at IS NULL AND jsonb_typeof(decisions) = 'array' AND jsonb_typeof(decisions -> -1 -> 'node_id') = 'string' THEN nullif(decisions -> -1 ->> 'node_id', '') END) IS NOT NULL;

-- 5. visitedNode: containment of {"d": [{"node_id": …}]} in an object of
-- the session's account, tree, user and decisions, so that one GIN scan
-- finds the sessions of a flow (an account, an engineer) that passed a
-- node, for the nodes too rare for a scan in order. jsonb_path_ops keys
-- are hashes: no entry grows with the data.
CREATE INDEX IF NOT EXISTS sessions_visits_idx ON sessions USING gin (
    (jsonb_set(jsonb_object(ARRAY['a', account_id::text, 't', tree_id::text, 'u', user_id::text]), '{d}', coalesce(decisions, 'null'::jsonb)))
    jsonb_path_ops);
