-- Rollups: pre-aggregated figures that every aggregate of the API answers
-- from, kept exact and fresh by triggers in the writer's own transaction
-- (migration 0031). A request sums the rollup rows of the whole blocks
-- inside its window and reads the raw rows of the partial blocks at its
-- edges (store/rollup_*.go), so every answer equals the raw computation.
--
-- Time blocks. Every rollup row covers one aligned block of UTC time:
-- level 0 = 15 minutes, 1 = 1 hour, 2 = 1 day, 3 = 4 days, 4 = 16 days,
-- 5 = 64 days, all aligned on 1900-01-01 00:00 UTC, so every block of a
-- level is the union of whole blocks of each lower level. 15-minute blocks
-- line up with every whole-quarter-hour UTC offset (+05:30, +05:45, DST
-- changes), so time series in such zones come from them; a window
-- decomposes into at most a few blocks per level. Rows outside
-- [1900-01-01, 2399-12-03) (the span) are not rolled up; windows reaching
-- outside it are answered from raw rows.
--
-- Journals, folded rows. Writers never update a rollup row: the triggers
-- append the rows a statement changed to the *_journal tables, signed (+1
-- for a new row version, -1 for a removed one), so concurrent writers
-- never wait for each other or deadlock, and a write costs one narrow
-- INSERT. Readers add the journal rows, as signed raw rows, to the folded
-- rollup rows. flowlens_rollups_fold() (`flowlens rollups fold`) sums the
-- journals into the folded tables, every level at once (staging through
-- the *_moving and *_delta tables, which only it uses); correctness never
-- depends on it having run, only the number of rows a request reads.
--
-- Scopes. rollup_counts holds four grains in one table: tree_id and
-- user_id NULL (the account, from 15-minute blocks up), tree_id set (a
-- tree, from hours up), user_id set (an engineer, from hours up), both set
-- (an engineer on a tree, from days up). rollup_durations holds the first
-- three from days up, the fourth from 4-day blocks up. The finer levels
-- serve time series in any zone and the edges of windows; each grain
-- starts where its rows still summarize several sessions.

CREATE OR REPLACE FUNCTION flowlens_rollup_stride(lvl smallint) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lvl WHEN 0 THEN interval '15 minutes' WHEN 1 THEN interval '1 hour' WHEN 2 THEN interval '1 day'
        WHEN 3 THEN interval '4 days' WHEN 4 THEN interval '16 days' WHEN 5 THEN interval '64 days' END
$$;

-- The first instant of the level-lvl block holding t.
CREATE OR REPLACE FUNCTION flowlens_rollup_floor(lvl smallint, t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT date_bin(flowlens_rollup_stride(lvl), t, timestamptz '1900-01-01 00:00:00+00')
$$;

-- The first block boundary of level lvl at or after t.
CREATE OR REPLACE FUNCTION flowlens_rollup_ceil(lvl smallint, t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN flowlens_rollup_floor(lvl, t) = t THEN t
        ELSE flowlens_rollup_floor(lvl, t) + flowlens_rollup_stride(lvl) END
$$;

-- Duration bins: a monotonic function of the duration in minutes (the
-- value percentile_cont orders by), so all durations of a lower bin are
-- at most those of a higher one. 256 bins per doubling from 2^-6 to 2^20
-- minutes, 256 linear bins below, one bin above; negative durations mirror
-- them below zero. Only exact floating-point operations (comparisons,
-- multiplications and divisions by powers of two, floor), so equal
-- durations always share a bin. The rollups store coarser bins (this bin
-- shifted right by flowlens_rollup_shift), which are ranges of these.
CREATE OR REPLACE FUNCTION flowlens_duration_bin_abs(a float8) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN a < 0.015625 THEN floor(a * 16384)::integer
        WHEN a >= 1048576 THEN 6912
        ELSE width_bucket(a, '{0.015625,0.03125,0.0625,0.125,0.25,0.5,1,2,4,8,16,32,64,128,256,512,1024,2048,4096,8192,16384,32768,65536,131072,262144,524288,1048576}'::float8[]) * 256
            + floor(a / ('{0.015625,0.03125,0.0625,0.125,0.25,0.5,1,2,4,8,16,32,64,128,256,512,1024,2048,4096,8192,16384,32768,65536,131072,262144,524288,1048576}'::float8[])[
                width_bucket(a, '{0.015625,0.03125,0.0625,0.125,0.25,0.5,1,2,4,8,16,32,64,128,256,512,1024,2048,4096,8192,16384,32768,65536,131072,262144,524288,1048576}'::float8[])] * 256)::integer
            - 256
    END
$$;

CREATE OR REPLACE FUNCTION flowlens_duration_bin(minutes float8) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN minutes >= 0 THEN flowlens_duration_bin_abs(minutes)
        ELSE -1 - flowlens_duration_bin_abs(-minutes) END
$$;

-- sessions.duration_bin: the bin of a completed session's duration, when
-- the rollups count it (finite times, started inside the span), NULL
-- otherwise. Stored, so that the percentiles' reads (migration 0032) are
-- plain integer comparisons, which row-level security lets an index serve
-- (an expression over the row would be checked only after the policy).
-- Writers that do not know the column keep working: PostgreSQL computes
-- it. Adding it rewrites the table once.
ALTER TABLE sessions ADD COLUMN duration_bin integer GENERATED ALWAYS AS (
    CASE WHEN completed_at IS NOT NULL AND isfinite(completed_at)
              AND started_at >= timestamptz '1900-01-01 00:00:00+00' AND started_at < timestamptz '2399-12-03 00:00:00+00'
         THEN flowlens_duration_bin(date_part('epoch', completed_at - started_at) / 60) END) STORED;

-- How many bits of flowlens_duration_bin a grain's rollup drops: 64 bins
-- per doubling for an account, 16 for a tree or an engineer (fewer
-- sessions per block: fewer rows per block, still few sessions per bin).
CREATE OR REPLACE FUNCTION flowlens_rollup_shift(by_tree boolean, by_user boolean) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN by_tree OR by_user THEN 4 ELSE 2 END
$$;

-- The folded tables leave a quarter of each page free and index no
-- counter, so that folding updates a row in place (HOT) without touching
-- its indexes.

-- Session counters per block. The outcome columns count sessions whose
-- outcome is exactly that word (completed or not: time series); the
-- completed_* columns only completed ones (summaries).
CREATE TABLE rollup_counts (
    account_id           uuid        NOT NULL,
    tree_id              uuid        NULL,
    user_id              uuid        NULL,
    lvl                  smallint    NOT NULL,
    bucket               timestamptz NOT NULL,
    sessions             integer     NOT NULL,
    completed            integer     NOT NULL,
    resolved             integer     NOT NULL,
    escalated            integer     NOT NULL,
    workaround           integer     NOT NULL,
    unresolved           integer     NOT NULL,
    completed_resolved   integer     NOT NULL,
    completed_escalated  integer     NOT NULL,
    completed_workaround integer     NOT NULL,
    completed_unresolved integer     NOT NULL
);
CREATE UNIQUE INDEX rollup_counts_key ON rollup_counts (account_id, tree_id, user_id, lvl, bucket) NULLS NOT DISTINCT;
-- Listing the trees of a scope (top flows, flow completions) and its users
-- (top engineers, active engineers).
CREATE INDEX rollup_counts_by_user ON rollup_counts (account_id, user_id, lvl, bucket, tree_id) INCLUDE (sessions, completed);
CREATE INDEX rollup_counts_by_tree ON rollup_counts (account_id, tree_id, lvl, bucket, user_id) INCLUDE (sessions, completed);

CREATE TABLE rollup_counts_delta (LIKE rollup_counts);

-- Completed sessions per block and duration bin (levels 2 to 5; an
-- engineer on a tree 3 to 5).
CREATE TABLE rollup_durations (
    account_id uuid        NOT NULL,
    tree_id    uuid        NULL,
    user_id    uuid        NULL,
    lvl        smallint    NOT NULL,
    bucket     timestamptz NOT NULL,
    bin        integer     NOT NULL,
    n          integer     NOT NULL
);
CREATE UNIQUE INDEX rollup_durations_key ON rollup_durations (account_id, tree_id, user_id, lvl, bucket, bin) INCLUDE (n) NULLS NOT DISTINCT;

CREATE TABLE rollup_durations_delta (LIKE rollup_durations);

-- Step statistics of a tree's sessions per block and node (levels 2 to 5),
-- by the sessions' start: counted decisions (visits); the sessions whose
-- decisions array's last entry is a counted decision at the node, not
-- completed (drop-offs) and completed (exits: exit nodes), the latter also
-- per outcome (exactly that word).
CREATE TABLE rollup_steps (
    account_id      uuid        NOT NULL,
    tree_id         uuid        NOT NULL,
    lvl             smallint    NOT NULL,
    bucket          timestamptz NOT NULL,
    node_id         text        NOT NULL,
    visits          integer     NOT NULL,
    dropoffs        integer     NOT NULL,
    exits           integer     NOT NULL,
    exit_resolved   integer     NOT NULL,
    exit_escalated  integer     NOT NULL,
    exit_workaround integer     NOT NULL,
    exit_unresolved integer     NOT NULL
);
CREATE UNIQUE INDEX rollup_steps_key ON rollup_steps (account_id, tree_id, lvl, bucket, node_id)
    INCLUDE (visits, dropoffs, exits, exit_resolved, exit_escalated, exit_workaround, exit_unresolved);

CREATE TABLE rollup_steps_delta (LIKE rollup_steps);

-- Transitions of a tree's sessions per block and node pair (levels 2 to
-- 5), by the sessions' start: each pair of neighbours from_node, to_node in
-- a session's counted decisions (the entries that do not count removed)
-- is one transition.
CREATE TABLE rollup_transitions (
    account_id uuid        NOT NULL,
    tree_id    uuid        NOT NULL,
    lvl        smallint    NOT NULL,
    bucket     timestamptz NOT NULL,
    from_node  text        NOT NULL,
    to_node    text        NOT NULL,
    n          integer     NOT NULL
);
CREATE UNIQUE INDEX rollup_transitions_key ON rollup_transitions (account_id, tree_id, lvl, bucket, from_node, to_node) INCLUDE (n);

CREATE TABLE rollup_transitions_delta (LIKE rollup_transitions);

-- Session ratings of a tree per block (by created_at) and rating (levels
-- 2 to 5).
CREATE TABLE rollup_ratings (
    tree_id uuid        NOT NULL,
    lvl     smallint    NOT NULL,
    bucket  timestamptz NOT NULL,
    rating  integer     NOT NULL,
    n       integer     NOT NULL
);
CREATE UNIQUE INDEX rollup_ratings_key ON rollup_ratings (tree_id, lvl, bucket, rating) INCLUDE (n);

CREATE TABLE rollup_ratings_delta (LIKE rollup_ratings);

-- Step ratings (helpful yes / no) of a tree per block (by created_at) and
-- node (levels 2 to 5).
CREATE TABLE rollup_votes (
    tree_id uuid        NOT NULL,
    lvl     smallint    NOT NULL,
    bucket  timestamptz NOT NULL,
    node_id text        NOT NULL,
    yes     integer     NOT NULL,
    no      integer     NOT NULL
);
CREATE UNIQUE INDEX rollup_votes_key ON rollup_votes (tree_id, lvl, bucket, node_id) INCLUDE (yes, no);

CREATE TABLE rollup_votes_delta (LIKE rollup_votes);

-- The journals: the rows that statements inserted, updated or deleted,
-- signed, not yet folded. Only sessions of an account started inside the
-- span, and ratings created inside it.
CREATE TABLE rollup_session_journal (
    sign         smallint    NOT NULL,
    account_id   uuid        NOT NULL,
    tree_id      uuid        NOT NULL,
    user_id      uuid        NOT NULL,
    started_at   timestamptz NOT NULL,
    completed_at timestamptz NULL,
    outcome      text        NULL,
    duration_bin integer     NULL,
    decisions    jsonb       NULL
);
CREATE INDEX rollup_session_journal_idx ON rollup_session_journal (account_id, started_at);
CREATE TABLE rollup_session_moving (LIKE rollup_session_journal);

CREATE TABLE rollup_rating_journal (
    sign       smallint    NOT NULL,
    tree_id    uuid        NOT NULL,
    rating     integer     NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX rollup_rating_journal_idx ON rollup_rating_journal (tree_id, created_at);
CREATE TABLE rollup_rating_moving (LIKE rollup_rating_journal);

CREATE TABLE rollup_vote_journal (
    sign       smallint    NOT NULL,
    tree_id    uuid        NOT NULL,
    node_id    text        NOT NULL,
    helpful    boolean     NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX rollup_vote_journal_idx ON rollup_vote_journal (tree_id, created_at);
CREATE TABLE rollup_vote_moving (LIKE rollup_vote_journal);

-- Row-level security, as for the tables they summarize (migration 0004):
-- the service reads one account at a time, and only the folded rows and
-- the journals; the owner (the main application's writers through the
-- triggers, fold and rebuild) everything.
GRANT SELECT ON rollup_counts, rollup_durations, rollup_steps, rollup_transitions, rollup_ratings, rollup_votes,
    rollup_session_journal, rollup_rating_journal, rollup_vote_journal
    TO flowlens_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['rollup_counts', 'rollup_counts_delta', 'rollup_durations', 'rollup_durations_delta',
                             'rollup_steps', 'rollup_steps_delta', 'rollup_transitions', 'rollup_transitions_delta',
                             'rollup_ratings', 'rollup_ratings_delta',
                             'rollup_votes', 'rollup_votes_delta', 'rollup_session_journal', 'rollup_session_moving',
                             'rollup_rating_journal', 'rollup_rating_moving', 'rollup_vote_journal', 'rollup_vote_moving'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY flowlens_owner ON %I TO CURRENT_USER USING (true) WITH CHECK (true)', t);
        IF t IN ('rollup_ratings', 'rollup_votes', 'rollup_rating_journal', 'rollup_vote_journal') THEN
            EXECUTE format('CREATE POLICY flowlens_tenant ON %I FOR SELECT TO flowlens_app
                USING (tree_id IN (SELECT tr.id FROM trees tr WHERE tr.account_id = flowlens_current_account()))', t);
        ELSIF t IN ('rollup_counts', 'rollup_durations', 'rollup_steps', 'rollup_transitions', 'rollup_session_journal') THEN
            EXECUTE format('CREATE POLICY flowlens_tenant ON %I FOR SELECT TO flowlens_app
                USING (account_id = flowlens_current_account())', t);
        END IF;
    END LOOP;
END
$$;
