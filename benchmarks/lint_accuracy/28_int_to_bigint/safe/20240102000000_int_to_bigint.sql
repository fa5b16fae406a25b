-- safe: expand: a new bigint column (dual-write, backfill and swap later)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN qty_big bigint;

-- migrate:down
ALTER TABLE orders DROP COLUMN qty_big;
