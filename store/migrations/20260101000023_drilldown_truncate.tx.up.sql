-- What the drill-down reads besides the raw rows (migration
-- 20260101000020: sessions.csat, session_visits) follows every write, also
-- those that fire no row trigger, and never fails a writer's insert.

-- 1. A rating's id breaks the ties of equal created_at: a change of id
-- can change the session's latest rating.
DROP TRIGGER IF EXISTS session_ratings_set_csat ON session_ratings;
CREATE TRIGGER session_ratings_set_csat
    AFTER INSERT OR UPDATE OF id, session_id, rating, created_at OR DELETE ON session_ratings
    FOR EACH ROW EXECUTE FUNCTION flowlens_ratings_set_csat();

-- 2. TRUNCATE fires no row trigger: emptied ratings leave no csat behind,
-- emptied sessions no visits (which would be counted, and would refuse
-- the insert of a session written again with the same id).
CREATE OR REPLACE FUNCTION flowlens_drilldown_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'sessions' THEN
        TRUNCATE session_visits;
    ELSE
        UPDATE sessions SET csat = NULL WHERE csat IS NOT NULL;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS sessions_visits_truncate ON sessions;
CREATE TRIGGER sessions_visits_truncate
    AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION flowlens_drilldown_truncated();
DROP TRIGGER IF EXISTS session_ratings_csat_truncate ON session_ratings;
CREATE TRIGGER session_ratings_csat_truncate
    AFTER TRUNCATE ON session_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION flowlens_drilldown_truncated();

-- 3. A session's visits are rewritten whole, on insert too: rows left
-- under its id (a load with the triggers off, say) are replaced, never a
-- conflict that fails the writer.
CREATE OR REPLACE FUNCTION flowlens_sessions_visits() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM session_visits WHERE session_id = OLD.id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.id IS DISTINCT FROM OLD.id THEN
        DELETE FROM session_visits WHERE session_id = NEW.id;
    END IF;
    INSERT INTO session_visits (session_id, node, account_id, tree_id, user_id, started_at, longest_key)
    SELECT NEW.id, n, NEW.account_id, NEW.tree_id, NEW.user_id, NEW.started_at, NEW.longest_key
    FROM flowlens_visited_nodes(NEW.decisions) AS n;
    RETURN NULL;
END
$$;

-- Repair what a TRUNCATE already left behind.
DELETE FROM session_visits v WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = v.session_id);
UPDATE sessions s SET csat = NULL
WHERE s.csat IS NOT NULL AND NOT EXISTS (SELECT 1 FROM session_ratings r WHERE r.session_id = s.id);
