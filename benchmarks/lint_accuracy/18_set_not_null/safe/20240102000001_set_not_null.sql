-- safe: CHECK (email IS NOT NULL) NOT VALID; VALIDATE later; then SET NOT NULL (no scan) and drop the check
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;

-- migrate:down
-- schemactl: no-op
