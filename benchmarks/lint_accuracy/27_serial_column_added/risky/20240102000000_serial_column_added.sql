-- risky: ADD COLUMN ... serial on an existing table rewrites it (a volatile nextval default)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN position serial;

-- migrate:down
ALTER TABLE orders DROP COLUMN position;
