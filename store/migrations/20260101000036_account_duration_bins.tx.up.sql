-- The account's duration rollups at the full resolution of
-- sessions.duration_bin (256 bins per doubling) instead of 64 bins per
-- doubling. A summary's percentile reads the raw durations of the one bin
-- that holds it (store/rollup_sql.go, percentiles); at 64 bins per
-- doubling that bin held about 1% of the window's sessions: 63,651 rows
-- for the median of a 10,000,000-session tenant's 90 days, read and
-- sorted for every summary, so the summary grew with the tenant's size.
-- A quarter of the rows now, for at most four times the account's
-- rollup rows per block (an account has one row per block and bin: a
-- few thousand per block at most, whatever its size). Trees and engineers
-- keep 16 bins per doubling: they have many rows each, fewer sessions per
-- bin.
CREATE OR REPLACE FUNCTION flowlens_rollup_shift(by_tree boolean, by_user boolean) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN by_tree OR by_user THEN 4 ELSE 0 END
$$;

-- The account rows again, at the new resolution. Writers of sessions wait
-- (as for flowlens_rollups_rebuild) and no fold runs beside this; the
-- journal is folded first, so the folded rows equal the sessions' rows,
-- which the account rows are then recomputed from. The other grains'
-- rows stay as they are.
LOCK TABLE sessions IN SHARE MODE;
SELECT pg_advisory_xact_lock(hashtext('flowlens_rollups'));
SELECT flowlens_rollups_fold();
DELETE FROM rollup_durations WHERE tree_id IS NULL AND user_id IS NULL;
INSERT INTO rollup_durations (account_id, tree_id, user_id, lvl, bucket, bin, n)
SELECT s.account_id, NULL, NULL, l.lvl, flowlens_rollup_floor(l.lvl, s.started_at), s.duration_bin, count(*)
FROM sessions AS s CROSS JOIN (VALUES (2::smallint), (3::smallint), (4::smallint), (5::smallint)) AS l(lvl)
WHERE s.account_id IS NOT NULL AND s.duration_bin IS NOT NULL
GROUP BY s.account_id, l.lvl, flowlens_rollup_floor(l.lvl, s.started_at), s.duration_bin;
ANALYZE rollup_durations;
