-- risky: numeric(10,2) to numeric(12,4): a new scale rewrites the table
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,4);

-- migrate:down
ALTER TABLE orders ALTER COLUMN total TYPE numeric(10,2);
