-- risky: CREATE UNIQUE INDEX on an existing table blocks its writes
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE UNIQUE INDEX users_email_key ON users (email);

-- migrate:down
DROP INDEX users_email_key;
