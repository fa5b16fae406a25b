-- safe: SET lock_timeout first
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN note SET DEFAULT '';

-- migrate:down
ALTER TABLE orders ALTER COLUMN note DROP DEFAULT;
