-- risky: CREATE INDEX CONCURRENTLY in a migration dbmate wraps in a transaction: PostgreSQL refuses it
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE INDEX CONCURRENTLY users_created_at_idx ON users (created_at);

-- migrate:down
DROP INDEX CONCURRENTLY IF EXISTS users_created_at_idx;
