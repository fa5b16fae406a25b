-- safe: SET lock_timeout first
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN gift_message text;

-- migrate:down
ALTER TABLE orders DROP COLUMN gift_message;
