-- safe: CREATE INDEX CONCURRENTLY, alone, transaction:false
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS orders_created_at_idx;
