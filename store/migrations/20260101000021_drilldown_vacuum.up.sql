-- After the backfills of migration 20260101000020: dead row versions
-- removed, statistics and visibility map (index-only scans) refreshed, so
-- that migration 20260101000022 builds its indexes over live rows only.
-- VACUUM cannot run in a transaction: this migration has none.
VACUUM (ANALYZE) sessions

--bun:split

VACUUM (ANALYZE) session_visits
