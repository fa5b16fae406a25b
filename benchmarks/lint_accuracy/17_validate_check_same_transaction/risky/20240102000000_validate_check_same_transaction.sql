-- risky: CHECK NOT VALID and VALIDATE in one transaction: the ACCESS EXCLUSIVE lock is held through the scan
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;

-- migrate:down
ALTER TABLE orders DROP CONSTRAINT orders_total_positive;
