-- safe: transaction:false
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
VACUUM (ANALYZE) orders;

-- migrate:down transaction:false
-- schemactl: no-op
