-- safe: CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE legacy_imports ADD CONSTRAINT legacy_imports_pkey PRIMARY KEY USING INDEX legacy_imports_pkey;

-- migrate:down
ALTER TABLE legacy_imports DROP CONSTRAINT legacy_imports_pkey;
CREATE UNIQUE INDEX legacy_imports_pkey ON legacy_imports (id);
