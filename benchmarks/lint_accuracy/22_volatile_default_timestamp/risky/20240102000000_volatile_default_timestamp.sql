-- risky: ADD COLUMN ... DEFAULT clock_timestamp() rewrites the table
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN last_seen_at timestamp DEFAULT clock_timestamp();

-- migrate:down
ALTER TABLE users DROP COLUMN last_seen_at;
