-- safe: the column in one migration, the backfill in batches in a transaction:false one
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN email_domain text;

-- migrate:down
ALTER TABLE users DROP COLUMN email_domain;
