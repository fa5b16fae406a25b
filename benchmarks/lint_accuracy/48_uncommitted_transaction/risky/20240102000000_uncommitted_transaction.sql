-- risky: BEGIN without COMMIT in a transaction:false migration: the change is rolled back when the connection closes
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
BEGIN;
ALTER TABLE orders ADD COLUMN paid_at timestamptz;

-- migrate:down transaction:false
ALTER TABLE orders DROP COLUMN IF EXISTS paid_at;
