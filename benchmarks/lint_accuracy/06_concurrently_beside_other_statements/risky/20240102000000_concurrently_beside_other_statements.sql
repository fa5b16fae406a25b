-- risky: an ALTER and a CREATE INDEX CONCURRENTLY in one transaction:false section: half-applied on failure, or an implicit transaction
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN coupon text;
CREATE INDEX CONCURRENTLY orders_coupon_idx ON orders (coupon);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS orders_coupon_idx;
ALTER TABLE orders DROP COLUMN coupon;
