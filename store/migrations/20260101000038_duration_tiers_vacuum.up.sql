-- After migration 20260101000037 rewrote rollup_durations: the visibility
-- map (which the percentiles' index-only scans of rollup_durations_key
-- need, or they read every row's heap page) and the statistics refreshed
-- at once, rather than whenever autovacuum comes by. VACUUM cannot run in
-- a transaction: this migration has none.
VACUUM (ANALYZE) rollup_durations
