-- Indexes that serve the analytics scopes: account + time, tree + time,
-- user + time, covering the columns the aggregates read.
CREATE INDEX IF NOT EXISTS sessions_account_started_idx
    ON sessions (account_id, started_at) INCLUDE (tree_id, user_id, completed_at, outcome)
    WHERE account_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS sessions_tree_started_idx ON sessions (tree_id, started_at);
CREATE INDEX IF NOT EXISTS sessions_user_started_idx ON sessions (user_id, started_at);
CREATE INDEX IF NOT EXISTS session_ratings_tree_created_idx ON session_ratings (tree_id, created_at);
CREATE INDEX IF NOT EXISTS step_ratings_tree_created_idx ON step_ratings (tree_id, created_at) INCLUDE (node_id, helpful);
