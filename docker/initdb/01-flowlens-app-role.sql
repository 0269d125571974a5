-- Runs once, when the Compose database is first created (before flowlens
-- migrates it): the service's own role, as migration 0004 creates it, but
-- with a password so it can log in over the Compose network. The migration
-- then grants it read access under row-level security.
CREATE ROLE flowlens_app LOGIN PASSWORD 'flowlens_app' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
