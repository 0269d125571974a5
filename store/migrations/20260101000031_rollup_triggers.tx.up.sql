-- The triggers that keep the rollups (migration 0030) exact in the writer's
-- own transaction, and their folding. The triggers are statement-level
-- with transition tables, so an INSERT, UPDATE or DELETE of any number of
-- rows, and COPY, costs one narrow INSERT into a journal: the statement's
-- new row versions with sign +1, its old ones with -1 (an UPDATE both:
-- unchanged rows cancel out). Nothing is updated in place, so concurrent
-- writers never wait for each other's rollup rows. A tree or user moving
-- to another account rewrites sessions.account_id (migration 0002), which
-- reaches these triggers as an UPDATE of sessions. The fold sums the
-- journals per rollup key and level, set-based.

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
    -- the rollups count the duration), per day, of the account, the tree
    -- and the user; per 4 days of the user on the tree.
    durations AS (
        INSERT INTO rollup_durations_delta (account_id, tree_id, user_id, lvl, bucket, bin, n)
        SELECT c.account_id, x.tree_id, x.user_id, x.lvl, flowlens_rollup_floor(x.lvl, c.started_at),
               c.duration_bin >> flowlens_rollup_shift(x.tree_id IS NOT NULL, x.user_id IS NOT NULL),
               sum(c.sign)
        FROM c CROSS JOIN LATERAL (VALUES (NULL::uuid, NULL::uuid, 2::smallint), (c.tree_id, NULL::uuid, 2::smallint),
                                          (NULL::uuid, c.user_id, 2::smallint), (c.tree_id, c.user_id, 3::smallint)) AS x(tree_id, user_id, lvl)
        WHERE c.duration_bin IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6
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
    in_span      text := $k$timestamptz '1900-01-01 00:00:00+00' AND %1$s < timestamptz '2399-12-03 00:00:00+00'$k$;
    t record;
BEGIN
    -- The triggers: one function per table, one INSERT into its journal
    -- per statement. An UPDATE leaves out the rows whose journaled columns
    -- it did not change (say sessions.csat, which a rating's trigger
    -- writes): their two versions would cancel out.
    FOR t IN SELECT * FROM (VALUES
        ('sessions', 'flowlens_rollups_sessions', 'rollup_session_journal', session_cols,
         'account_id IS NOT NULL AND started_at >= ' || format(in_span, 'started_at')),
        ('session_ratings', 'flowlens_rollups_ratings', 'rollup_rating_journal', 'tree_id, rating, created_at',
         'created_at >= ' || format(in_span, 'created_at')),
        ('step_ratings', 'flowlens_rollups_votes', 'rollup_vote_journal', 'tree_id, node_id, helpful, created_at',
         'created_at >= ' || format(in_span, 'created_at'))
    ) AS v(tab, fn, journal, cols, keep)
    LOOP
        EXECUTE format($f$
            CREATE OR REPLACE FUNCTION %1$I() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO %2$I (sign, %3$s) SELECT 1, %3$s FROM new_rows WHERE %4$s;
                ELSIF TG_OP = 'DELETE' THEN
                    INSERT INTO %2$I (sign, %3$s) SELECT -1, %3$s FROM old_rows WHERE %4$s;
                ELSE
                    INSERT INTO %2$I (sign, %3$s)
                    SELECT -1, %3$s FROM old_rows AS o WHERE %4$s
                        AND NOT EXISTS (SELECT FROM new_rows AS n WHERE n.id = o.id AND (%5$s) IS NOT DISTINCT FROM (%6$s))
                    UNION ALL SELECT 1, %3$s FROM new_rows AS n WHERE %4$s
                        AND NOT EXISTS (SELECT FROM old_rows AS o WHERE o.id = n.id AND (%5$s) IS NOT DISTINCT FROM (%6$s));
                END IF;
                RETURN NULL;
            END
            $body$
        $f$, t.fn, t.journal, t.cols, t.keep, 'o.' || replace(t.cols, ', ', ', o.'), 'n.' || replace(t.cols, ', ', ', n.'));
        EXECUTE format('CREATE TRIGGER %1$I AFTER INSERT ON %2$I REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION %3$I()', t.tab || '_rollups_insert', t.tab, t.fn);
        EXECUTE format('CREATE TRIGGER %1$I AFTER UPDATE ON %2$I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION %3$I()', t.tab || '_rollups_update', t.tab, t.fn);
        EXECUTE format('CREATE TRIGGER %1$I AFTER DELETE ON %2$I REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION %3$I()', t.tab || '_rollups_delete', t.tab, t.fn);
    END LOOP;

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
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION flowlens_rollups_add_ratings() RETURNS void LANGUAGE plpgsql SET work_mem = '256MB' AS $body$
        BEGIN
            %s;
            %s;
        END
        $body$
    $f$, replace(ratings_sql, '{{changes}}', 'SELECT 1 AS sign, tree_id, rating, created_at FROM session_ratings'),
         replace(votes_sql, '{{changes}}', 'SELECT 1 AS sign, tree_id, node_id, helpful, created_at FROM step_ratings'));
END
$do$;

-- TRUNCATE fires no row changes: it empties the rollups of the table.
CREATE OR REPLACE FUNCTION flowlens_rollups_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'sessions' THEN
        TRUNCATE rollup_counts, rollup_counts_delta, rollup_durations, rollup_durations_delta, rollup_steps, rollup_steps_delta,
            rollup_transitions, rollup_transitions_delta, rollup_session_journal, rollup_session_moving;
    ELSIF TG_TABLE_NAME = 'session_ratings' THEN
        TRUNCATE rollup_ratings, rollup_ratings_delta, rollup_rating_journal, rollup_rating_moving;
    ELSE
        TRUNCATE rollup_votes, rollup_votes_delta, rollup_vote_journal, rollup_vote_moving;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER sessions_rollups_truncate AFTER TRUNCATE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION flowlens_rollups_truncated();
CREATE TRIGGER session_ratings_rollups_truncate AFTER TRUNCATE ON session_ratings FOR EACH STATEMENT EXECUTE FUNCTION flowlens_rollups_truncated();
CREATE TRIGGER step_ratings_rollups_truncate AFTER TRUNCATE ON step_ratings FOR EACH STATEMENT EXECUTE FUNCTION flowlens_rollups_truncated();

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
        ('rollup_durations', 'account_id, tree_id, user_id', 'bin', 'n'),
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

-- flowlens_rollups_rebuild recomputes every rollup from the raw rows: it
-- blocks writers of the three source tables until the transaction ends
-- (SHARE lock), empties the rollups, appends each account's sessions as
-- if inserted and folds them, then the ratings, and analyzes them.
-- Progress goes out as NOTICEs (`flowlens migrate` and `flowlens rollups
-- rebuild` print them).
CREATE OR REPLACE FUNCTION flowlens_rollups_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    acc record;
    done bigint := 0;
    total bigint;
    started timestamptz := clock_timestamp();
BEGIN
    LOCK TABLE sessions, session_ratings, step_ratings IN SHARE MODE;
    PERFORM pg_advisory_xact_lock(hashtext('flowlens_rollups'));
    TRUNCATE rollup_counts, rollup_counts_delta, rollup_durations, rollup_durations_delta, rollup_steps, rollup_steps_delta,
        rollup_transitions, rollup_transitions_delta, rollup_ratings, rollup_ratings_delta, rollup_votes, rollup_votes_delta,
        rollup_session_journal, rollup_session_moving, rollup_rating_journal, rollup_rating_moving,
        rollup_vote_journal, rollup_vote_moving;
    SELECT count(*) INTO total FROM sessions WHERE account_id IS NOT NULL;
    FOR acc IN SELECT account_id AS id, count(*) AS n FROM sessions WHERE account_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LOOP
        PERFORM flowlens_rollups_add_account(acc.id);
        PERFORM flowlens_rollups_fold(true);
        done := done + acc.n;
        IF total >= 100000 THEN
            RAISE NOTICE 'rollups: % of % sessions (% s)', done, total, round(extract(epoch FROM clock_timestamp() - started), 1);
        END IF;
    END LOOP;
    PERFORM flowlens_rollups_add_ratings();
    PERFORM flowlens_rollups_fold(true);
    IF total >= 100000 THEN
        RAISE NOTICE 'rollups: ratings done (% s)', round(extract(epoch FROM clock_timestamp() - started), 1);
    END IF;
    -- Statistics of the new rows at once: the read functions' plans,
    -- cached per connection, would otherwise be made for empty tables
    -- until autovacuum gets to them.
    ANALYZE rollup_counts, rollup_durations, rollup_steps, rollup_transitions, rollup_ratings, rollup_votes;
END
$$;
