-- safe: REINDEX TABLE CONCURRENTLY, transaction:false
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
REINDEX TABLE CONCURRENTLY orders;

-- migrate:down transaction:false
-- schemactl: no-op
