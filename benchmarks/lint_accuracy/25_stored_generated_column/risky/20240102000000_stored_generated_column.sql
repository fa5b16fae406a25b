-- risky: ADD COLUMN ... GENERATED ALWAYS AS (...) STORED rewrites the table
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED;

-- migrate:down
ALTER TABLE orders DROP COLUMN total_cents;
