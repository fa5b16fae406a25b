-- risky: BEGIN/COMMIT in a migration dbmate already wraps: COMMIT ends its transaction early
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
BEGIN;
ALTER TABLE orders ADD COLUMN shipped boolean;
COMMIT;

-- migrate:down
ALTER TABLE orders DROP COLUMN shipped;
