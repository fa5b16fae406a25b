-- risky: ADD COLUMN ... NOT NULL without a default fails on a table with rows, and breaks running INSERTs
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN currency text NOT NULL;

-- migrate:down
ALTER TABLE orders DROP COLUMN currency;
