-- risky: REINDEX INDEX locks the table against writes and the index against reads
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
REINDEX INDEX orders_user_id_idx;

-- migrate:down
-- schemactl: no-op
