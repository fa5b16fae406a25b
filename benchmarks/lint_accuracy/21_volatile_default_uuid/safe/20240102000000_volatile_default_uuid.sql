-- safe: add the column plain, then SET DEFAULT for new rows (backfill in batches later)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN public_id uuid;
ALTER TABLE users ALTER COLUMN public_id SET DEFAULT gen_random_uuid();

-- migrate:down
ALTER TABLE users DROP COLUMN public_id;
