-- safe: plain VACUUM (ANALYZE), which takes no blocking lock (pg_repack, outside migrations, to reclaim space)
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
VACUUM (ANALYZE) orders;

-- migrate:down transaction:false
-- schemactl: no-op
