-- safe: CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS users_email_key;
