-- After migration 20260101000039 added the account's hour rows to
-- rollup_durations: their visibility map bits (the percentiles' index-only
-- scans need them) set at once, rather than whenever autovacuum comes by.
-- VACUUM cannot run in a transaction: this migration has none.
VACUUM (ANALYZE) rollup_durations
