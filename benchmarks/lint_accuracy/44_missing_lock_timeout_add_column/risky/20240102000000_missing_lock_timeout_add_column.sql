-- risky: ADD COLUMN with no lock_timeout: waiting for its ACCESS EXCLUSIVE lock, it queues every query on the table
-- migrate:up
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN gift_message text;

-- migrate:down
ALTER TABLE orders DROP COLUMN gift_message;
