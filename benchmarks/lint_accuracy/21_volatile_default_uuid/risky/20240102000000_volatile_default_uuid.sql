-- risky: ADD COLUMN ... DEFAULT gen_random_uuid() rewrites the table
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN public_id uuid DEFAULT gen_random_uuid();

-- migrate:down
ALTER TABLE users DROP COLUMN public_id;
