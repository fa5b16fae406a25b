-- risky: ADD CHECK scans every row under an ACCESS EXCLUSIVE lock
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);

-- migrate:down
ALTER TABLE orders DROP CONSTRAINT orders_total_positive;
