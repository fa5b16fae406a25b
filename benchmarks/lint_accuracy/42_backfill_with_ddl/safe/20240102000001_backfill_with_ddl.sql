-- safe: the column in one migration, the backfill in batches in a transaction:false one
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
UPDATE users SET email_domain = split_part(email, '@', 2)
WHERE id BETWEEN 1 AND 10000 AND email_domain IS NULL;

-- migrate:down transaction:false
UPDATE users SET email_domain = NULL WHERE id BETWEEN 1 AND 10000;
