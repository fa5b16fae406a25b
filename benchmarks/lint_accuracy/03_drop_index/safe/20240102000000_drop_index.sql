-- safe: DROP INDEX CONCURRENTLY, transaction:false
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
DROP INDEX CONCURRENTLY orders_user_id_idx;

-- migrate:down transaction:false
CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);
