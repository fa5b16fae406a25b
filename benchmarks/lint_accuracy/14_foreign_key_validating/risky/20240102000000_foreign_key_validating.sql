-- risky: ADD FOREIGN KEY checks every row while both tables are locked against writes
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);

-- migrate:down
ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;
