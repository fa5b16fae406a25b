-- safe: DELETE only the rows meant, with a WHERE clause
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
DELETE FROM login_events WHERE at < now() - interval '90 days';

-- migrate:down
-- schemactl: no-op
