-- The funnel's reads (store/paths.go, Funnels). A funnel needs each
-- session's counted path (its counted decisions' node ids in array order),
-- and working it out of the decisions array of every session of a flow's
-- window is most of the funnel's time. So each session stores a key of its
-- path, sessions.path_key: the SHA-256 of the path as a jsonb array (the
-- same array as store's countedPath gives), NULL when decisions is NULL. A
-- funnel groups the window's sessions by key, from an index only, and reads
-- one session's decisions per distinct key to get its path: sessions with
-- equal keys have equal paths (SHA-256 is collision resistant), so every
-- count stays exact. The key is fixed-size, so any path, however long,
-- fits in an index entry (a path itself could exceed an entry's limit and
-- make a writer's INSERT fail).
CREATE OR REPLACE FUNCTION flowlens_path_key(decisions jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT sha256(jsonb_send(jsonb_path_query_array(decisions, 'strict $[*] ? (@.node_id > "").node_id', '{}', true)))
$$;

-- Writers that do not know the column keep working: PostgreSQL computes it
-- on every INSERT and, sessions having BEFORE ROW triggers, on every UPDATE
-- of a session; COPY without a column list skips generated columns, and an
-- INSERT without one gives the contract's columns, which come first.
-- Adding it rewrites the table once, under an exclusive lock, and builds
-- the two indexes below in the same transaction: on a large table, a
-- maintenance window (the bench's 2,020,000 sessions: under a minute).
ALTER TABLE sessions ADD COLUMN path_key bytea GENERATED ALWAYS AS (flowlens_path_key(decisions)) STORED;

-- A flow's sessions of a window with their keys (and the scope's columns
-- that row-level security and an engineer's scope check), index only.
CREATE INDEX sessions_tree_path_idx ON sessions (tree_id, started_at) INCLUDE (account_id, user_id, path_key);

-- One session of a flow with a given key, for its path.
CREATE INDEX sessions_tree_path_key_idx ON sessions (tree_id, path_key) WHERE path_key IS NOT NULL;
