-- risky: a column with REFERENCES added to an existing table: validated under SHARE ROW EXCLUSIVE locks on both tables
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN referrer_id bigint REFERENCES users (id);

-- migrate:down
ALTER TABLE orders DROP COLUMN referrer_id;
