-- safe: a plain int column
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN position int;

-- migrate:down
ALTER TABLE orders DROP COLUMN position;
