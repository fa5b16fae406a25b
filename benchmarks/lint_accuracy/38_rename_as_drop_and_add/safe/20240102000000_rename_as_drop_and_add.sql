-- safe: expand: add the new column, keep the old one
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN full_name text;

-- migrate:down
ALTER TABLE users DROP COLUMN full_name;
