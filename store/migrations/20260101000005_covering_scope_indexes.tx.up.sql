-- Covering indexes for the narrow scopes. A tree's (flowAnalytics) or a
-- user's (engineerId, myAnalytics) sessions in a window are read from the
-- index alone: no heap visit per session, and no scan of the whole
-- account's window filtered down to one tree or user. They replace the
-- plain (tree_id, started_at) and (user_id, started_at) indexes of
-- migration 0003 under the same names, with the same leading columns (so
-- they keep serving the foreign keys).
DROP INDEX IF EXISTS sessions_tree_started_idx;
CREATE INDEX sessions_tree_started_idx
    ON sessions (tree_id, started_at) INCLUDE (account_id, user_id, completed_at, outcome);
DROP INDEX IF EXISTS sessions_user_started_idx;
CREATE INDEX sessions_user_started_idx
    ON sessions (user_id, started_at) INCLUDE (account_id, tree_id, completed_at, outcome);
