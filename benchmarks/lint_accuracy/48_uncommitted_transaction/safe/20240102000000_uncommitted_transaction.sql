-- safe: BEGIN ... COMMIT
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
BEGIN;
ALTER TABLE orders ADD COLUMN paid_at timestamptz;
COMMIT;

-- migrate:down transaction:false
ALTER TABLE orders DROP COLUMN paid_at;
