-- Percentiles stay exact with rollups: the duration bins of
-- rollup_durations locate the bin holding each needed order statistic,
-- then only that bin's durations are read from the raw rows, through these
-- indexes ordered by bin (flowlens_duration_bin, migration 0030) then start
-- time, restricted to the window. Their predicate is the rollups' rule for
-- a duration: a completed session with finite times started inside the
-- span.
CREATE INDEX sessions_account_bin_idx
    ON sessions (account_id, flowlens_duration_bin(date_part('epoch', completed_at - started_at) / 60), started_at)
    INCLUDE (completed_at)
    WHERE completed_at IS NOT NULL AND isfinite(completed_at)
      AND started_at >= timestamptz '1900-01-01 00:00:00+00' AND started_at < timestamptz '2399-12-03 00:00:00+00';
CREATE INDEX sessions_tree_bin_idx
    ON sessions (tree_id, flowlens_duration_bin(date_part('epoch', completed_at - started_at) / 60), started_at)
    INCLUDE (account_id, completed_at)
    WHERE completed_at IS NOT NULL AND isfinite(completed_at)
      AND started_at >= timestamptz '1900-01-01 00:00:00+00' AND started_at < timestamptz '2399-12-03 00:00:00+00';
CREATE INDEX sessions_user_bin_idx
    ON sessions (user_id, flowlens_duration_bin(date_part('epoch', completed_at - started_at) / 60), started_at)
    INCLUDE (account_id, tree_id, completed_at)
    WHERE completed_at IS NOT NULL AND isfinite(completed_at)
      AND started_at >= timestamptz '1900-01-01 00:00:00+00' AND started_at < timestamptz '2399-12-03 00:00:00+00';
-- The durations of one engineer on one tree (the medians of the top
-- flows of an engineer's dashboard) are read from the raw rows: those
-- rollups would hold about a row per session.
CREATE INDEX sessions_user_tree_idx
    ON sessions (user_id, tree_id, started_at) INCLUDE (account_id, completed_at)
    WHERE completed_at IS NOT NULL;

-- Backfill the rows written before this migration.
SELECT flowlens_rollups_rebuild();
