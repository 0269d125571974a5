-- Percentiles stay exact with rollups: the duration bins of
-- rollup_durations locate the bin holding each needed order statistic,
-- then only that bin's durations are read from the raw rows, through these
-- indexes ordered by bin (sessions.duration_bin, migration 0030) then
-- start time, restricted to the window.
CREATE INDEX sessions_account_bin_idx ON sessions (account_id, duration_bin, started_at)
    INCLUDE (completed_at) WHERE duration_bin IS NOT NULL;
CREATE INDEX sessions_tree_bin_idx ON sessions (tree_id, duration_bin, started_at)
    INCLUDE (account_id, completed_at) WHERE duration_bin IS NOT NULL;
CREATE INDEX sessions_user_bin_idx ON sessions (user_id, duration_bin, started_at)
    INCLUDE (account_id, tree_id, completed_at) WHERE duration_bin IS NOT NULL;

-- An engineer on one tree (the medians of the top flows of an engineer's
-- dashboard): the needed bins' durations, and the raw rows of the edges
-- (less than a 4-day block on each side: that grain's durations start
-- there, their rows would otherwise hold about one session each).
CREATE INDEX sessions_user_tree_bin_idx ON sessions (user_id, tree_id, duration_bin, started_at)
    INCLUDE (account_id, completed_at) WHERE duration_bin IS NOT NULL;
CREATE INDEX sessions_user_tree_idx
    ON sessions (user_id, tree_id, started_at) INCLUDE (account_id, completed_at)
    WHERE completed_at IS NOT NULL;

-- Backfill the rows written before this migration.
SELECT flowlens_rollups_rebuild();
