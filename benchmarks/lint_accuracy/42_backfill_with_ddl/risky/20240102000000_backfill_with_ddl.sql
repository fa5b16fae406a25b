-- risky: ADD COLUMN and an UPDATE of every row in one transaction: the ACCESS EXCLUSIVE lock is held through the backfill
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN email_domain text;
UPDATE users SET email_domain = split_part(email, '@', 2);

-- migrate:down
ALTER TABLE users DROP COLUMN email_domain;
