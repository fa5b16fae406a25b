-- risky: ALTER COLUMN ... TYPE bigint from integer rewrites the table and its indexes
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN qty TYPE bigint;

-- migrate:down
ALTER TABLE orders ALTER COLUMN qty TYPE integer;
