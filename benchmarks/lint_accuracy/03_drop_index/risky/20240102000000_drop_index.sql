-- risky: DROP INDEX takes an ACCESS EXCLUSIVE lock on the table
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
DROP INDEX orders_user_id_idx;

-- migrate:down
CREATE INDEX orders_user_id_idx ON orders (user_id);
