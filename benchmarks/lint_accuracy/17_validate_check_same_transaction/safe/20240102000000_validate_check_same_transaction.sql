-- safe: VALIDATE in a later migration
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;

-- migrate:down
ALTER TABLE orders DROP CONSTRAINT orders_total_positive;
