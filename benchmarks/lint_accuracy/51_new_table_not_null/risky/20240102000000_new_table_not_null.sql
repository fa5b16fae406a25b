-- risky: SET NOT NULL on an existing table
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL;

-- migrate:down
ALTER TABLE orders ALTER COLUMN user_id DROP NOT NULL;
