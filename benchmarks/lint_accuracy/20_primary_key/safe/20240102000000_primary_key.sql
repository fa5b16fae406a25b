-- safe: CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE UNIQUE INDEX CONCURRENTLY legacy_imports_pkey ON legacy_imports (id);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS legacy_imports_pkey;
