-- safe: REINDEX INDEX CONCURRENTLY, transaction:false
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
REINDEX INDEX CONCURRENTLY orders_user_id_idx;

-- migrate:down transaction:false
-- schemactl: no-op
