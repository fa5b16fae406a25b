-- risky: DROP INDEX CONCURRENTLY in a transactional migration: refused
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
DROP INDEX CONCURRENTLY orders_user_id_idx;

-- migrate:down
CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);
