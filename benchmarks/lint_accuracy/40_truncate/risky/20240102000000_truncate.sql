-- risky: TRUNCATE empties the table under an ACCESS EXCLUSIVE lock
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
TRUNCATE login_events;

-- migrate:down
-- schemactl: no-op
