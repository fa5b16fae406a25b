-- risky: REINDEX TABLE rebuilds every index under locks
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
REINDEX TABLE orders;

-- migrate:down
-- schemactl: no-op
