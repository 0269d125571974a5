-- After migration 20260101000033 rewrote sessions: the visibility map
-- (which the funnel's index-only scan of sessions_tree_path_idx needs, or
-- it reads every row's heap page) and the statistics refreshed at once,
-- rather than whenever autovacuum comes by. VACUUM cannot run in a
-- transaction: this migration has none.
VACUUM (ANALYZE) sessions
