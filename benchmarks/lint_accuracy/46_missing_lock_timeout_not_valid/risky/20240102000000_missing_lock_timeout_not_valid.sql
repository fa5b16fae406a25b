-- risky: a NOT VALID foreign key with no lock_timeout: its brief lock still queues both tables' queries
-- migrate:up
SET statement_timeout = '5min';
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;

-- migrate:down
ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;
