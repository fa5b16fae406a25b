-- risky: TRUNCATE ... CASCADE empties the table and every table referencing it
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
TRUNCATE login_events CASCADE;

-- migrate:down
-- schemactl: no-op
