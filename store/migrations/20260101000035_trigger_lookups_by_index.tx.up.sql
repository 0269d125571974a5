-- The row triggers that look rows up by key (a session's visits, a
-- session's ratings and the session itself for its csat: migrations
-- 20260101000020 and 20260101000023) always do so through the key's index.
-- PL/pgSQL plans each of their statements once per connection and keeps
-- the plan for the whole of a writer's statement; planned while the table
-- is new or small (no statistics yet: a fresh database, a first import),
-- a lookup becomes a sequential scan, run once per written row over a
-- table that the same statement is filling, so a multi-row INSERT or COPY
-- took time quadratic in its rows (50,000 sessions in one INSERT into a
-- new database: minutes instead of seconds). With sequential scans off
-- inside these functions the planner takes the index whatever the
-- statistics say; nothing else in them scans a table.
ALTER FUNCTION flowlens_sessions_visits() SET enable_seqscan = off;
ALTER FUNCTION flowlens_ratings_set_csat() SET enable_seqscan = off;
