-- risky: ALTER TYPE ... ADD VALUE, then the new value used in the same transaction: PostgreSQL refuses
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TYPE order_state ADD VALUE 'refunded';
UPDATE orders SET state = 'refunded' WHERE note = 'refund';

-- migrate:down
-- schemactl: no-op
