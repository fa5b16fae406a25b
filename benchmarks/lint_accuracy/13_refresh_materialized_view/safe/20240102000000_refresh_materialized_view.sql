-- safe: REFRESH MATERIALIZED VIEW CONCURRENTLY (the view has a unique index)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
REFRESH MATERIALIZED VIEW CONCURRENTLY user_order_totals;

-- migrate:down
-- schemactl: no-op
