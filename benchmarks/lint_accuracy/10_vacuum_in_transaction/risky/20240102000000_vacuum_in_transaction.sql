-- risky: VACUUM in a migration dbmate wraps in a transaction: refused
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
VACUUM (ANALYZE) orders;

-- migrate:down
-- schemactl: no-op
