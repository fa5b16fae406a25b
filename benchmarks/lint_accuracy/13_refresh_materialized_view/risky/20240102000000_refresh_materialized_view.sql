-- risky: REFRESH MATERIALIZED VIEW blocks every read of the view
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
REFRESH MATERIALIZED VIEW user_order_totals;

-- migrate:down
-- schemactl: no-op
