-- safe: ADD VALUE in its own migration, used in a later one
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TYPE order_state ADD VALUE 'refunded';

-- migrate:down
-- schemactl: no-op
