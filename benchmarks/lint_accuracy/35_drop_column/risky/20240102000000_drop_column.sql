-- risky: DROP COLUMN breaks code still reading it
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users DROP COLUMN legacy_code;

-- migrate:down
ALTER TABLE users ADD COLUMN legacy_code text;
