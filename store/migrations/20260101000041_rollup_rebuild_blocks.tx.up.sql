-- The rollups' rebuild one 64-day block of an account at a time.
--
-- flowlens_rollups_rebuild added an account's whole history in one
-- statement, then folded it in another: every intermediate result (the
-- durations grouped by grain, tier and bin, the delta rows expanded to
-- every level) was as large as the account's history, and spilled to
-- temporary files beyond work_mem. At the bench's 1,000,000-session tenant
-- that was 590 MB of temporary files in the durations' aggregate alone; a
-- 10,000,000-session tenant wrote more than 18 GB and filled the disk.
--
-- Now each account is added and folded per aligned block of the coarsest
-- level (64 days from 1900-01-01, flowlens_rollup_floor level 5): every
-- rollup row of every level lies inside one such block, so the blocks'
-- rows never meet and each block is folded as fresh rows, as before. The
-- work of one step is bounded by 64 days of the account's sessions,
-- whatever its history; blocks without sessions are skipped through the
-- (account_id, started_at) index.
--
-- flowlens_rollups_add_account(account, lo, hi) is
-- flowlens_rollups_add_account(account) restricted to the sessions that
-- started in [lo, hi): its definition (migrations 0037, 0039) selects the
-- account's sessions in exactly two places, each edited here, or the
-- migration fails.
DO $do$
DECLARE
    def text;
    old text := 'FROM sessions WHERE account_id = account)';
    new text := 'FROM sessions WHERE account_id = account AND started_at >= block_lo AND started_at < block_hi)';
    head text := 'flowlens_rollups_add_account(account uuid)';
BEGIN
    def := pg_get_functiondef('flowlens_rollups_add_account(uuid)'::regprocedure);
    IF (length(def) - length(replace(def, old, ''))) / length(old) <> 2 THEN
        RAISE EXCEPTION 'rollups: flowlens_rollups_add_account(uuid) does not select the account''s sessions in exactly two places';
    END IF;
    IF (length(def) - length(replace(def, head, ''))) / length(head) <> 1 THEN
        RAISE EXCEPTION 'rollups: flowlens_rollups_add_account(uuid) does not name itself exactly once';
    END IF;
    def := replace(def, head, 'flowlens_rollups_add_account(account uuid, block_lo timestamptz, block_hi timestamptz)');
    EXECUTE replace(def, old, new);
END
$do$;

DROP FUNCTION flowlens_rollups_add_account(uuid);

-- flowlens_rollups_rebuild recomputes every rollup from the raw rows, as
-- before (migration 0031), one account and 64-day block at a time.
CREATE OR REPLACE FUNCTION flowlens_rollups_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    acc record;
    done bigint := 0;
    total bigint;
    n bigint;
    first_start timestamptz;
    lo timestamptz;
    hi timestamptz;
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
        -- The rollups span [1900-01-01, 2399-12-03); sessions outside it
        -- are never rolled up (flowlens_rollups_add_account skips them).
        hi := timestamptz '1900-01-01 00:00:00+00';
        LOOP
            -- The next block holding a session of the account.
            SELECT min(s.started_at) INTO first_start FROM sessions AS s
            WHERE s.account_id = acc.id AND s.started_at >= hi AND s.started_at < timestamptz '2399-12-03 00:00:00+00';
            EXIT WHEN first_start IS NULL;
            lo := flowlens_rollup_floor(5::smallint, first_start);
            hi := lo + interval '5529600 seconds'; -- 64 days of 86,400 s, whatever the session's time zone
            PERFORM flowlens_rollups_add_account(acc.id, lo, hi);
            PERFORM flowlens_rollups_fold(true);
            IF total >= 100000 THEN
                SELECT count(*) INTO n FROM sessions AS s WHERE s.account_id = acc.id AND s.started_at >= lo AND s.started_at < hi;
                done := done + n;
                RAISE NOTICE 'rollups: % of % sessions (% s)', done, total, round(extract(epoch FROM clock_timestamp() - started), 1);
            END IF;
        END LOOP;
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
