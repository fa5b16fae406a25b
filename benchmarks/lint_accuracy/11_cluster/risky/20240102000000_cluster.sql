-- risky: CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CLUSTER orders USING orders_user_id_idx;

-- migrate:down
-- schemactl: no-op
