-- safe: VALIDATE in a later migration
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;

-- migrate:down
-- schemactl: no-op
