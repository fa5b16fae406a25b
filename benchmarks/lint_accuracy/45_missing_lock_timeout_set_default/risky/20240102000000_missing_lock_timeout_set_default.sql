-- risky: SET DEFAULT with no lock_timeout: queues every query behind its lock
-- migrate:up
SET statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN note SET DEFAULT '';

-- migrate:down
ALTER TABLE orders ALTER COLUMN note DROP DEFAULT;
