-- Drill-down indexes (see migration 20260101000020), over the table that
-- migration 20260101000021 vacuumed.

-- 1. NEWEST and OLDEST: the covering scope indexes of migrations 0003 and
-- 0005 again, under the same names and with the same leading columns (so
-- the dashboards' index-only scans keep them), now with the session id as
-- the last key column and csat and longest_key among the included
-- columns. A page reads `first` entries from the cursor on, index only:
-- OLDEST in index order, NEWEST backwards with the (rare) equal start
-- times put in id order by an incremental sort.
DROP INDEX IF EXISTS sessions_account_started_idx;
CREATE INDEX sessions_account_started_idx
    ON sessions (account_id, started_at, id) INCLUDE (tree_id, user_id, completed_at, outcome, csat, longest_key)
    WHERE account_id IS NOT NULL;
DROP INDEX IF EXISTS sessions_tree_started_idx;
CREATE INDEX sessions_tree_started_idx
    ON sessions (tree_id, started_at, id) INCLUDE (account_id, user_id, completed_at, outcome, csat, longest_key);
DROP INDEX IF EXISTS sessions_user_started_idx;
CREATE INDEX sessions_user_started_idx
    ON sessions (user_id, started_at, id) INCLUDE (account_id, tree_id, completed_at, outcome, csat, longest_key);

-- 2. LONGEST, per scope, covering the criteria that need no decisions.
CREATE INDEX IF NOT EXISTS sessions_account_longest_idx
    ON sessions (account_id, longest_key DESC, id) INCLUDE (started_at, completed_at, tree_id, user_id, outcome, csat)
    WHERE account_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS sessions_tree_longest_idx
    ON sessions (tree_id, longest_key DESC, id) INCLUDE (account_id, started_at, completed_at, user_id, outcome, csat);
CREATE INDEX IF NOT EXISTS sessions_user_longest_idx
    ON sessions (user_id, longest_key DESC, id) INCLUDE (account_id, started_at, completed_at, tree_id, outcome, csat);

-- 3. droppedOffAt, per flow: in start order, and in id order (LONGEST among
-- sessions not completed is id order).
CREATE INDEX IF NOT EXISTS sessions_tree_dropoff_idx
    ON sessions (tree_id, dropoff_node, started_at, id) INCLUDE (account_id, user_id, outcome, csat)
    WHERE dropoff_node IS NOT NULL;
CREATE INDEX IF NOT EXISTS sessions_tree_dropoff_id_idx
    ON sessions (tree_id, dropoff_node, id) INCLUDE (account_id, user_id, started_at, outcome, csat)
    WHERE dropoff_node IS NOT NULL;

-- 4. visitedNode: the account's visits of a node in start order and in
-- LONGEST order (a flow's or an engineer's are read from the same entries,
-- which include tree and user).
CREATE INDEX IF NOT EXISTS session_visits_started_idx
    ON session_visits (account_id, node, started_at, session_id) INCLUDE (tree_id, user_id)
    WHERE account_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS session_visits_longest_idx
    ON session_visits (account_id, node, longest_key DESC, session_id) INCLUDE (tree_id, user_id, started_at)
    WHERE account_id IS NOT NULL;

-- 5. maxCsat: the rated sessions of the account in start order (about one
-- in four sessions is rated), for its pages and counts.
CREATE INDEX IF NOT EXISTS sessions_account_csat_idx
    ON sessions (account_id, started_at, id) INCLUDE (csat, tree_id, user_id, completed_at, outcome, longest_key)
    WHERE csat IS NOT NULL AND account_id IS NOT NULL;
