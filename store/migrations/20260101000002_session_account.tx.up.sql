-- sessions.account_id: the account a session belongs to, denormalized so the
-- analytics can filter and index on it without joins. A session belongs to
-- an account when both its tree and its user belong to that account; when
-- they belong to different accounts the column is NULL and the session is
-- counted nowhere. Writers that do not know the column keep working: a
-- trigger fills it on every insert and on every change of tree_id, user_id
-- or account_id, and triggers on trees and users keep it right when a tree
-- or a user moves to another account.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS account_id uuid NULL;

CREATE OR REPLACE FUNCTION flowlens_session_account(tree uuid, usr uuid) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT t.account_id
    FROM trees t JOIN users u ON u.account_id = t.account_id
    WHERE t.id = tree AND u.id = usr
$$;

CREATE OR REPLACE FUNCTION flowlens_sessions_set_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.account_id := flowlens_session_account(NEW.tree_id, NEW.user_id);
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS sessions_set_account ON sessions;
CREATE TRIGGER sessions_set_account
    BEFORE INSERT OR UPDATE OF tree_id, user_id, account_id ON sessions
    FOR EACH ROW EXECUTE FUNCTION flowlens_sessions_set_account();

CREATE OR REPLACE FUNCTION flowlens_trees_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sessions SET account_id = NULL WHERE tree_id = NEW.id;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS trees_moved ON trees;
CREATE TRIGGER trees_moved
    AFTER UPDATE OF account_id ON trees
    FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION flowlens_trees_moved();

CREATE OR REPLACE FUNCTION flowlens_users_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sessions SET account_id = NULL WHERE user_id = NEW.id;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS users_moved ON users;
CREATE TRIGGER users_moved
    AFTER UPDATE OF account_id ON users
    FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION flowlens_users_moved();

-- Backfill rows written before this migration.
UPDATE sessions SET account_id = flowlens_session_account(tree_id, user_id)
WHERE account_id IS DISTINCT FROM flowlens_session_account(tree_id, user_id);
