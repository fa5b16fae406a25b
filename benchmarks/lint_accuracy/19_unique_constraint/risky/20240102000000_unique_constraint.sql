-- risky: ADD CONSTRAINT ... UNIQUE builds its index under an ACCESS EXCLUSIVE lock
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);

-- migrate:down
ALTER TABLE users DROP CONSTRAINT users_email_key;
