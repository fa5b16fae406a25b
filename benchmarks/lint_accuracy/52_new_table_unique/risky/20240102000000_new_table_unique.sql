-- risky: ADD UNIQUE on an existing table
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD CONSTRAINT users_legacy_code_key UNIQUE (legacy_code);

-- migrate:down
ALTER TABLE users DROP CONSTRAINT users_legacy_code_key;
