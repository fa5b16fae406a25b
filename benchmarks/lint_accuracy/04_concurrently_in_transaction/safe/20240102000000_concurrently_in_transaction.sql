-- safe: the same statement in a transaction:false migration
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE INDEX CONCURRENTLY users_created_at_idx ON users (created_at);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS users_created_at_idx;
