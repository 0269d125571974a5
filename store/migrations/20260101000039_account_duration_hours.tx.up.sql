-- An account's duration rollups from hours up (level 1) instead of days.
-- A window [now - N×24 h, now) almost never starts or ends on a day's
-- boundary, and the partial days at its two edges (together a whole day
-- for such a window) were read as raw rows for the account's median and
-- p90: at the bench's 1,000,000-session tenant about 8,000 sessions, each
-- binned again, for the summary and again for the previous summary (team
-- dashboard over 90 days: 34.6 ms ending at midnight, 64.2 ms ending at
-- 13:37). From hours up, the edges are less than an hour each. An
-- account's hour has at most one row per tier and bin: about as many rows
-- as the account has completed sessions, for the account grain only
-- (trees and engineers keep days: their edges hold few sessions each).
--
-- The functions that sum the journals and rebuild an account embed the
-- statement of flowlens_rollups_session_changes_sql (migration 0037); the
-- account's durations change from level 2 to level 1 in all three, by
-- editing their definitions (the fold expands every delta row from its
-- own level up, so it stays as it is). Each must hold the text exactly
-- once, or the migration fails.
--
-- Writers of sessions wait and no fold runs beside this; the journals are
-- folded first with the old functions, so the folded rows equal the
-- sessions' rows, from which the account's hour rows are then added. The
-- other rows stay as they are.
LOCK TABLE sessions IN SHARE MODE;
SELECT pg_advisory_xact_lock(hashtext('flowlens_rollups'));
SELECT flowlens_rollups_fold();

DO $do$
DECLARE
    f text;
    def text;
    old text := '(NULL::uuid, NULL::uuid, 2::smallint), (c.tree_id, NULL::uuid, 2::smallint)';
    new text := '(NULL::uuid, NULL::uuid, 1::smallint), (c.tree_id, NULL::uuid, 2::smallint)';
BEGIN
    FOREACH f IN ARRAY ARRAY['flowlens_rollups_session_changes_sql(text)', 'flowlens_rollups_take_journals()', 'flowlens_rollups_add_account(uuid)'] LOOP
        def := pg_get_functiondef(f::regprocedure);
        IF (length(def) - length(replace(def, old, ''))) / length(old) <> 1 THEN
            RAISE EXCEPTION 'rollups: % does not hold the durations'' grains of migration 0037 exactly once', f;
        END IF;
        EXECUTE replace(def, old, new);
    END LOOP;
END
$do$;

DO $do$
DECLARE
    started timestamptz := clock_timestamp();
    total bigint;
    n bigint;
BEGIN
    SET LOCAL work_mem = '256MB';
    SELECT count(*) INTO total FROM sessions WHERE account_id IS NOT NULL AND duration_bin IS NOT NULL;
    IF total >= 100000 THEN
        RAISE NOTICE 'rollups: hourly account durations of % completed sessions', total;
    END IF;
    INSERT INTO rollup_durations (account_id, tree_id, user_id, lvl, bucket, res, bin, n)
    SELECT s.account_id, NULL::uuid, NULL::uuid, 1::smallint, flowlens_rollup_floor(1::smallint, s.started_at), r.res, s.duration_bin >> r.res, count(*)
    FROM sessions AS s CROSS JOIN (VALUES (0::smallint), (4::smallint), (8::smallint)) AS r(res)
    WHERE s.account_id IS NOT NULL AND s.duration_bin IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    ORDER BY 1, 6, 4, 5, 7;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF total >= 100000 THEN
        RAISE NOTICE 'rollups: % hourly account duration rows (% s)', n, round(extract(epoch FROM clock_timestamp() - started), 1);
    END IF;
END
$do$;
ANALYZE rollup_durations;
