-- safe: NOT NULL with a constant default (no rewrite since PostgreSQL 11)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR';

-- migrate:down
ALTER TABLE orders DROP COLUMN currency;
