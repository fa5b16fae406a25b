-- risky: FOREIGN KEY NOT VALID and VALIDATE in one transaction: the ADD's lock is held through the scan
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;

-- migrate:down
ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;
