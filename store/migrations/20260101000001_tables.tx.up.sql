-- The six tables that the main troubleshooting application writes
-- (shared/API.md, "Data model"). Created here for development and tests.
CREATE TABLE IF NOT EXISTS accounts (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id     uuid NOT NULL REFERENCES accounts (id),
    name           text NULL,
    email          text NULL,
    is_active      boolean NOT NULL DEFAULT true,
    is_team_admin  boolean NOT NULL DEFAULT false,
    is_super_admin boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS trees (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id     uuid NOT NULL REFERENCES accounts (id),
    name           text NOT NULL,
    tree_structure jsonb NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tree_id      uuid NOT NULL REFERENCES trees (id),
    user_id      uuid NOT NULL REFERENCES users (id),
    started_at   timestamptz NOT NULL,
    completed_at timestamptz NULL,
    outcome      text NULL,
    decisions    jsonb NULL
);

CREATE TABLE IF NOT EXISTS session_ratings (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NULL REFERENCES sessions (id),
    tree_id    uuid NOT NULL REFERENCES trees (id),
    user_id    uuid NULL REFERENCES users (id),
    rating     integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment    text NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS step_ratings (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NULL REFERENCES sessions (id),
    tree_id    uuid NOT NULL REFERENCES trees (id),
    node_id    text NOT NULL,
    helpful    boolean NOT NULL,
    user_id    uuid NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Indexes a plain schema has: foreign keys and start times.
CREATE INDEX IF NOT EXISTS users_account_id_idx ON users (account_id);
CREATE INDEX IF NOT EXISTS trees_account_id_idx ON trees (account_id);
CREATE INDEX IF NOT EXISTS session_ratings_session_id_idx ON session_ratings (session_id);
CREATE INDEX IF NOT EXISTS step_ratings_session_id_idx ON step_ratings (session_id);
