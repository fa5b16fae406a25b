-- risky: an int column's type changed on an existing table (rewrite)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN qty TYPE numeric;

-- migrate:down
ALTER TABLE orders ALTER COLUMN qty TYPE integer;
