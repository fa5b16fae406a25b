-- risky: VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
VACUUM FULL orders;

-- migrate:down transaction:false
-- schemactl: no-op
