-- safe: the statement alone; the runner provides the transaction
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN shipped boolean;

-- migrate:down
ALTER TABLE orders DROP COLUMN shipped;
