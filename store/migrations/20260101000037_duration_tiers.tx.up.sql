-- Duration bins in three tiers. A percentile located the bin holding each
-- needed order statistic by reading every duration row of the window's
-- blocks (one row per block and bin: 256 bins per doubling for an account,
-- 16 for a tree or an engineer), then read that bin's raw durations: at the
-- bench's 1,000,000-session tenant about 7,200 rows for the account's
-- median, and for each listed row of a top list about 480 rows and 980
-- raw durations, most of a dashboard's work.
--
-- rollup_durations now holds every grain's durations at three resolutions,
-- the column res: sessions.duration_bin shifted right by 8 (one bin per
-- doubling), by 4 (16 per doubling) and by 0 (the full 256 per doubling).
-- A percentile reads all of a window's rows of the coarsest tier (a dozen
-- per block), then of each finer tier only the 16 bins inside the bins
-- that hold the needed positions, and last the raw durations of one full-
-- resolution bin (store/rollup_sql.go, percentiles). Every count stays
-- exact: each tier's bins are unions of the next finer tier's.
--
-- An engineer's durations on a tree now start at days too, not 4 days:
-- a window's partial edges there were up to 4 days of raw rows on each
-- side (all of a 7-day window but one block), each row's bin computed
-- again (flowlens_duration_bin), for every listed row of an engineer's top
-- flows.
--
-- flowlens_rollup_shift (migrations 0030, 0036) no longer has a use.
--
-- Writers of sessions wait (as for flowlens_rollups_rebuild) and no fold
-- runs beside this; the journals are folded first with the old functions,
-- so the folded rows equal the sessions' rows, which rollup_durations is
-- then recomputed from. The other rollups stay as they are.
LOCK TABLE sessions IN SHARE MODE;
SELECT pg_advisory_xact_lock(hashtext('flowlens_rollups'));
SELECT flowlens_rollups_fold();

TRUNCATE rollup_durations, rollup_durations_delta;
DROP INDEX rollup_durations_key;
ALTER TABLE rollup_durations ADD COLUMN res smallint NOT NULL DEFAULT 0;
ALTER TABLE rollup_durations_delta ADD COLUMN res smallint NOT NULL DEFAULT 0;

-- As in migration 0031, with the durations at every tier.
-- flowlens_rollups_session_changes_sql returns the statement that sums the
-- contributions of the sessions that the query `changes` returns (columns
-- sign, account_id, tree_id, user_id, started_at, completed_at, outcome,
-- decisions, duration_bin), restricted to rolled-up sessions (of an
-- account, started inside the span), per rollup key at each grain's finest
-- level, into the *_delta tables. The same statement serves the fold (over
-- the journal) and the rebuild (over the sessions), so they cannot
-- disagree.
CREATE OR REPLACE FUNCTION flowlens_rollups_session_changes_sql(changes text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
SELECT replace($sql$
    WITH c AS MATERIALIZED (
        SELECT ch.sign, ch.account_id, ch.tree_id, ch.user_id, ch.started_at, ch.completed_at, ch.outcome, ch.duration_bin
        FROM ({{changes}}) AS ch
        WHERE ch.account_id IS NOT NULL
          AND ch.started_at >= timestamptz '1900-01-01 00:00:00+00' AND ch.started_at < timestamptz '2399-12-03 00:00:00+00'
    ),
    -- Each session counts in four grains, each at its finest level: its
    -- account (15 minutes), its tree and its user (hours), its user on its
    -- tree (days).
    counts AS (
        INSERT INTO rollup_counts_delta (account_id, tree_id, user_id, lvl, bucket, sessions, completed,
            resolved, escalated, workaround, unresolved,
            completed_resolved, completed_escalated, completed_workaround, completed_unresolved)
        SELECT c.account_id, x.tree_id, x.user_id, x.lvl, flowlens_rollup_floor(x.lvl, c.started_at), sum(c.sign),
               sum(CASE WHEN c.completed_at IS NOT NULL THEN c.sign ELSE 0 END),
               sum(CASE WHEN c.outcome = 'resolved' THEN c.sign ELSE 0 END),
               sum(CASE WHEN c.outcome = 'escalated' THEN c.sign ELSE 0 END),
               sum(CASE WHEN c.outcome = 'workaround' THEN c.sign ELSE 0 END),
               sum(CASE WHEN c.outcome = 'unresolved' THEN c.sign ELSE 0 END),
               sum(CASE WHEN c.completed_at IS NOT NULL AND c.outcome = 'resolved' THEN c.sign ELSE 0 END),
               sum(CASE WHEN c.completed_at IS NOT NULL AND c.outcome = 'escalated' THEN c.sign ELSE 0 END),
               sum(CASE WHEN c.completed_at IS NOT NULL AND c.outcome = 'workaround' THEN c.sign ELSE 0 END),
               sum(CASE WHEN c.completed_at IS NOT NULL AND c.outcome = 'unresolved' THEN c.sign ELSE 0 END)
        FROM c CROSS JOIN LATERAL (VALUES (NULL::uuid, NULL::uuid, 0::smallint), (c.tree_id, NULL::uuid, 1::smallint),
                                          (NULL::uuid, c.user_id, 1::smallint), (c.tree_id, c.user_id, 2::smallint)) AS x(tree_id, user_id, lvl)
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(c.sign) <> 0
            OR sum(CASE WHEN c.completed_at IS NOT NULL THEN c.sign ELSE 0 END) <> 0
            OR sum(CASE WHEN c.outcome = 'resolved' THEN c.sign ELSE 0 END) <> 0
            OR sum(CASE WHEN c.outcome = 'escalated' THEN c.sign ELSE 0 END) <> 0
            OR sum(CASE WHEN c.outcome = 'workaround' THEN c.sign ELSE 0 END) <> 0
            OR sum(CASE WHEN c.outcome = 'unresolved' THEN c.sign ELSE 0 END) <> 0
            OR sum(CASE WHEN c.completed_at IS NOT NULL AND c.outcome = 'resolved' THEN c.sign ELSE 0 END) <> 0
            OR sum(CASE WHEN c.completed_at IS NOT NULL AND c.outcome = 'escalated' THEN c.sign ELSE 0 END) <> 0
            OR sum(CASE WHEN c.completed_at IS NOT NULL AND c.outcome = 'workaround' THEN c.sign ELSE 0 END) <> 0
            OR sum(CASE WHEN c.completed_at IS NOT NULL AND c.outcome = 'unresolved' THEN c.sign ELSE 0 END) <> 0
    ),
    -- Durations of completed sessions (sessions.duration_bin, set when
    -- the rollups count the duration), per day, of the account, the tree,
    -- the user and the user on the tree, at each tier.
    durations AS (
        INSERT INTO rollup_durations_delta (account_id, tree_id, user_id, lvl, bucket, res, bin, n)
        SELECT c.account_id, x.tree_id, x.user_id, x.lvl, flowlens_rollup_floor(x.lvl, c.started_at),
               r.res, c.duration_bin >> r.res, sum(c.sign)
        FROM c CROSS JOIN LATERAL (VALUES (NULL::uuid, NULL::uuid, 2::smallint), (c.tree_id, NULL::uuid, 2::smallint),
                                          (NULL::uuid, c.user_id, 2::smallint), (c.tree_id, c.user_id, 2::smallint)) AS x(tree_id, user_id, lvl)
               CROSS JOIN (VALUES (0::smallint), (4::smallint), (8::smallint)) AS r(res)
        WHERE c.duration_bin IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        HAVING sum(c.sign) <> 0
    ),
    -- Counted decisions: array entries that are objects whose node_id is
    -- a non-empty string (the SQL/JSON path of store/paths.go), as each
    -- session's path of node ids in array order, and the node of the
    -- array's last entry when it is counted, once per session.
    paths AS MATERIALIZED (
        SELECT ch.sign, ch.account_id, ch.tree_id, flowlens_rollup_floor(2::smallint, ch.started_at) AS bucket,
               ch.completed_at IS NOT NULL AS completed, ch.outcome,
               jsonb_path_query_array(ch.decisions, 'strict $[*] ? (@.node_id > "").node_id', '{}', true) AS path,
               jsonb_path_query_first(ch.decisions, 'strict $[last] ? (@.node_id > "").node_id', '{}', true) #>> '{}' AS last_node
        FROM ({{changes}}) AS ch
        WHERE ch.account_id IS NOT NULL AND jsonb_typeof(ch.decisions) = 'array'
          AND ch.started_at >= timestamptz '1900-01-01 00:00:00+00' AND ch.started_at < timestamptz '2399-12-03 00:00:00+00'
    ),
    -- Each pair of neighbours of a path is one transition.
    transitions AS (
        INSERT INTO rollup_transitions_delta (account_id, tree_id, lvl, bucket, from_node, to_node, n)
        SELECT p.account_id, p.tree_id, 2::smallint, p.bucket, e.node, p.path ->> e.ord::int, sum(p.sign)
        FROM paths AS p CROSS JOIN LATERAL jsonb_array_elements_text(p.path) WITH ORDINALITY AS e(node, ord)
        WHERE e.ord < jsonb_array_length(p.path)
        GROUP BY 1, 2, 3, 4, 5, 6
        HAVING sum(p.sign) <> 0
    )
    -- A visit per counted decision; a drop-off (not completed) or an exit
    -- (completed, per outcome) at the last entry's node when it counts.
    INSERT INTO rollup_steps_delta (account_id, tree_id, lvl, bucket, node_id, visits, dropoffs,
        exits, exit_resolved, exit_escalated, exit_workaround, exit_unresolved)
    SELECT x.account_id, x.tree_id, 2::smallint, x.bucket, x.node_id, sum(x.visits), sum(x.dropoffs),
           sum(x.exits), sum(x.exit_resolved), sum(x.exit_escalated), sum(x.exit_workaround), sum(x.exit_unresolved)
    FROM (SELECT p.account_id, p.tree_id, p.bucket, e.node AS node_id, p.sign AS visits, 0 AS dropoffs,
                 0 AS exits, 0 AS exit_resolved, 0 AS exit_escalated, 0 AS exit_workaround, 0 AS exit_unresolved
          FROM paths AS p CROSS JOIN LATERAL jsonb_array_elements_text(p.path) AS e(node)
          UNION ALL
          SELECT p.account_id, p.tree_id, p.bucket, p.last_node, 0, CASE WHEN p.completed THEN 0 ELSE p.sign END,
                 CASE WHEN p.completed THEN p.sign ELSE 0 END,
                 CASE WHEN p.completed AND p.outcome = 'resolved' THEN p.sign ELSE 0 END,
                 CASE WHEN p.completed AND p.outcome = 'escalated' THEN p.sign ELSE 0 END,
                 CASE WHEN p.completed AND p.outcome = 'workaround' THEN p.sign ELSE 0 END,
                 CASE WHEN p.completed AND p.outcome = 'unresolved' THEN p.sign ELSE 0 END
          FROM paths AS p WHERE p.last_node IS NOT NULL) AS x
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(x.visits) <> 0 OR sum(x.dropoffs) <> 0 OR sum(x.exits) <> 0 OR sum(x.exit_resolved) <> 0
        OR sum(x.exit_escalated) <> 0 OR sum(x.exit_workaround) <> 0 OR sum(x.exit_unresolved) <> 0
$sql$, '{{changes}}', changes)
$fn$;

-- The fold's and the rebuild's statements embed it: made again, as in 0031.
DO $do$
DECLARE
    ratings_sql  text := $sql$
        INSERT INTO rollup_ratings_delta (tree_id, lvl, bucket, rating, n)
        SELECT ch.tree_id, 2::smallint, flowlens_rollup_floor(2::smallint, ch.created_at), ch.rating, sum(ch.sign)
        FROM ({{changes}}) AS ch
        WHERE ch.created_at >= timestamptz '1900-01-01 00:00:00+00' AND ch.created_at < timestamptz '2399-12-03 00:00:00+00'
        GROUP BY 1, 2, 3, 4
        HAVING sum(ch.sign) <> 0
    $sql$;
    votes_sql    text := $sql$
        INSERT INTO rollup_votes_delta (tree_id, lvl, bucket, node_id, yes, no)
        SELECT ch.tree_id, 2::smallint, flowlens_rollup_floor(2::smallint, ch.created_at), ch.node_id,
               sum(CASE WHEN ch.helpful THEN ch.sign ELSE 0 END), sum(CASE WHEN NOT ch.helpful THEN ch.sign ELSE 0 END)
        FROM ({{changes}}) AS ch
        WHERE ch.created_at >= timestamptz '1900-01-01 00:00:00+00' AND ch.created_at < timestamptz '2399-12-03 00:00:00+00'
        GROUP BY 1, 2, 3, 4
        HAVING sum(CASE WHEN ch.helpful THEN ch.sign ELSE 0 END) <> 0 OR sum(CASE WHEN NOT ch.helpful THEN ch.sign ELSE 0 END) <> 0
    $sql$;
    session_cols text := 'account_id, tree_id, user_id, started_at, completed_at, outcome, duration_bin, decisions';
BEGIN
    -- The fold's first step: take every journal row (one statement per
    -- journal, so a row committed meanwhile is either taken or left for the
    -- next fold, never lost), sum them into the *_delta tables, and return
    -- how many it took.
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION flowlens_rollups_take_journals() RETURNS bigint LANGUAGE plpgsql AS $body$
        DECLARE
            v_n bigint;
            v_taken bigint := 0;
        BEGIN
            WITH j AS (DELETE FROM rollup_session_journal RETURNING *) INSERT INTO rollup_session_moving SELECT * FROM j;
            GET DIAGNOSTICS v_n = ROW_COUNT;
            v_taken := v_taken + v_n;
            %1$s;
            DELETE FROM rollup_session_moving;
            WITH j AS (DELETE FROM rollup_rating_journal RETURNING *) INSERT INTO rollup_rating_moving SELECT * FROM j;
            GET DIAGNOSTICS v_n = ROW_COUNT;
            v_taken := v_taken + v_n;
            %2$s;
            DELETE FROM rollup_rating_moving;
            WITH j AS (DELETE FROM rollup_vote_journal RETURNING *) INSERT INTO rollup_vote_moving SELECT * FROM j;
            GET DIAGNOSTICS v_n = ROW_COUNT;
            v_taken := v_taken + v_n;
            %3$s;
            DELETE FROM rollup_vote_moving;
            RETURN v_taken;
        END
        $body$
    $f$, flowlens_rollups_session_changes_sql('SELECT sign, ' || session_cols || ' FROM rollup_session_moving'),
         replace(ratings_sql, '{{changes}}', 'SELECT sign, tree_id, rating, created_at FROM rollup_rating_moving'),
         replace(votes_sql, '{{changes}}', 'SELECT sign, tree_id, node_id, helpful, created_at FROM rollup_vote_moving'));

    -- The rebuild's sources: all rolled-up sessions of one account, and all
    -- ratings, as if inserted.
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION flowlens_rollups_add_account(account uuid) RETURNS void LANGUAGE plpgsql SET work_mem = '256MB' AS $body$
        BEGIN
            %s;
        END
        $body$
    $f$, flowlens_rollups_session_changes_sql('SELECT 1 AS sign, ' || session_cols || ' FROM sessions WHERE account_id = account'));
END
$do$;

-- flowlens_rollups_fold sums every journal row into the folded tables: the
-- journals into the *_delta tables (flowlens_rollups_take_journals), those
-- expanded to every level at or above their own into the folded rows, and
-- deletes the folded rows whose counters became zero. Readers see the
-- journal rows before and the folded rows after, never both or neither
-- (one transaction). It returns the journal rows it folded; 0 at once when
-- another fold is running. Only this function and flowlens_rollups_rebuild
-- write the folded tables. With fresh (the rebuild, into empty tables, one
-- account at a time) it inserts without looking for existing rows.
DO $do$
DECLARE
    t record;
    fresh text := '';
    upsert text := '';
    step text;
BEGIN
    -- Each folded table: its scope keys, its other keys (after lvl and
    -- bucket) and its counters.
    FOR t IN SELECT * FROM (VALUES
        ('rollup_counts', 'account_id, tree_id, user_id', NULL,
         'sessions, completed, resolved, escalated, workaround, unresolved, completed_resolved, completed_escalated, completed_workaround, completed_unresolved'),
        ('rollup_durations', 'account_id, tree_id, user_id', 'res, bin', 'n'),
        ('rollup_steps', 'account_id, tree_id', 'node_id',
         'visits, dropoffs, exits, exit_resolved, exit_escalated, exit_workaround, exit_unresolved'),
        ('rollup_transitions', 'account_id, tree_id', 'from_node, to_node', 'n'),
        ('rollup_ratings', 'tree_id', 'rating', 'n'),
        ('rollup_votes', 'tree_id', 'node_id', 'yes, no')
    ) AS v(tab, keys, extra, vals) LOOP
        DECLARE
            counters text[] := string_to_array(t.vals, ', ');
            keycols text := t.keys || ', lvl, bucket' || coalesce(', ' || t.extra, '');
            allcols text := keycols || ', ' || t.vals;
            sums text := (SELECT string_agg(format('sum(d.%1$s) AS %1$s', c), ', ') FROM unnest(counters) AS c);
            adds text := (SELECT string_agg(format('%1$s = r.%1$s + excluded.%1$s', c), ', ') FROM unnest(counters) AS c);
            zero text := (SELECT string_agg(format('r.%s = 0', c), ' AND ') FROM unnest(counters) AS c);
            nkeys integer := array_length(string_to_array(t.keys, ', '), 1);
            nextra integer := coalesce(array_length(string_to_array(t.extra, ', '), 1), 0);
            e text;
        BEGIN
            -- GROUP BY positions: the scope keys, lvl, bucket, the other keys.
            e := format($e$WITH d AS (DELETE FROM %1$s_delta RETURNING *),
                e AS (SELECT %2$s, l.lvl::smallint AS lvl, flowlens_rollup_floor(l.lvl::smallint, d.bucket) AS bucket%3$s, %4$s
                      FROM d CROSS JOIN LATERAL generate_series(d.lvl, 5) AS l(lvl) GROUP BY %5$s)$e$,
                t.tab, 'd.' || replace(t.keys, ', ', ', d.'), coalesce(', d.' || replace(t.extra, ', ', ', d.'), ''), sums,
                (SELECT string_agg(g::text, ', ') FROM generate_series(1, nkeys + 2 + nextra) AS g));
            fresh := fresh || format($f$
        %1$s
        INSERT INTO %2$s (%3$s) SELECT %3$s FROM e ORDER BY %4$s;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_moved := v_moved + v_n;$f$, e, t.tab, allcols, keycols);
            upsert := upsert || format($f$
        %1$s,
        up AS (
            INSERT INTO %2$s AS r (%3$s) SELECT %3$s FROM e
            ON CONFLICT (%4$s) DO UPDATE SET %5$s
            RETURNING r.ctid, %6$s AS zero)
        SELECT count(*), array_agg(up.ctid) FILTER (WHERE up.zero) INTO v_n, v_zero FROM up;
        v_moved := v_moved + v_n;
        DELETE FROM %2$s WHERE ctid = ANY (v_zero);$f$, e, t.tab, allcols, keycols, adds, zero);
        END;
    END LOOP;
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION flowlens_rollups_fold(fresh boolean DEFAULT false) RETURNS bigint
        LANGUAGE plpgsql SET work_mem = '256MB' AS $body$
        DECLARE
            v_moved bigint := 0;
            v_taken bigint;
            v_n bigint;
            v_zero tid[];
        BEGIN
            IF NOT pg_try_advisory_xact_lock(hashtext('flowlens_rollups')) THEN
                RETURN 0;
            END IF;
            v_taken := flowlens_rollups_take_journals();
            IF fresh THEN %s
            ELSE %s
            END IF;
            RETURN v_taken;
        END
        $body$
    $f$, fresh, upsert);
END
$do$;

-- The rows again, from the sessions, every grain at its levels (as the
-- fold expands them) and tiers; then the key, tier first, so that a tier's
-- rows of a block are neighbours in it.
DO $do$
DECLARE
    started timestamptz := clock_timestamp();
    total bigint;
    n bigint;
BEGIN
    SET LOCAL work_mem = '256MB';
    SELECT count(*) INTO total FROM sessions WHERE account_id IS NOT NULL AND duration_bin IS NOT NULL;
    IF total >= 100000 THEN
        RAISE NOTICE 'rollups: duration tiers of % completed sessions', total;
    END IF;
    INSERT INTO rollup_durations (account_id, tree_id, user_id, lvl, bucket, res, bin, n)
    SELECT s.account_id, x.tree_id, x.user_id, l.lvl, flowlens_rollup_floor(l.lvl, s.started_at), r.res, s.duration_bin >> r.res, count(*)
    FROM sessions AS s
    CROSS JOIN LATERAL (VALUES (NULL::uuid, NULL::uuid, 2), (s.tree_id, NULL::uuid, 2),
                               (NULL::uuid, s.user_id, 2), (s.tree_id, s.user_id, 2)) AS x(tree_id, user_id, first)
    CROSS JOIN LATERAL (SELECT g::smallint AS lvl FROM generate_series(x.first, 5) AS g) AS l
    CROSS JOIN (VALUES (0::smallint), (4::smallint), (8::smallint)) AS r(res)
    WHERE s.account_id IS NOT NULL AND s.duration_bin IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF total >= 100000 THEN
        RAISE NOTICE 'rollups: % duration rows (% s)', n, round(extract(epoch FROM clock_timestamp() - started), 1);
    END IF;
END
$do$;
CREATE UNIQUE INDEX rollup_durations_key ON rollup_durations (account_id, tree_id, user_id, res, lvl, bucket, bin) INCLUDE (n) NULLS NOT DISTINCT;
ANALYZE rollup_durations;
