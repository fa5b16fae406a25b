-- safe: the ALTER in one migration, the index alone in a transaction:false one
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE INDEX CONCURRENTLY orders_coupon_idx ON orders (coupon);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS orders_coupon_idx;
