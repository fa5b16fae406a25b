-- safe: ADD VALUE in its own migration, used in a later one
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
UPDATE orders SET state = 'refunded' WHERE note = 'refund';

-- migrate:down
UPDATE orders SET state = 'new' WHERE state = 'refunded';
