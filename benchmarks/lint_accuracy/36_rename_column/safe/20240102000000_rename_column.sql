-- safe: expand: add the new column (dual-write, backfill, switch, drop later)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN display_name text;

-- migrate:down
ALTER TABLE users DROP COLUMN display_name;
