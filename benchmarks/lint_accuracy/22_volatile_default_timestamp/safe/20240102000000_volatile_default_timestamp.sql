-- safe: DEFAULT now() (stable: evaluated once, stored in the catalog); a timestamp column
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN last_seen_at timestamp DEFAULT now();

-- migrate:down
ALTER TABLE users DROP COLUMN last_seen_at;
