-- safe: a plain nullable column, filled by a batched backfill later
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN total_cents bigint;

-- migrate:down
ALTER TABLE orders DROP COLUMN total_cents;
