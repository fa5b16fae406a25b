-- risky: SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ALTER COLUMN email SET NOT NULL;

-- migrate:down
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
