-- safe: the ALTER in one migration, the index alone in a transaction:false one
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN coupon text;

-- migrate:down
ALTER TABLE orders DROP COLUMN coupon;
