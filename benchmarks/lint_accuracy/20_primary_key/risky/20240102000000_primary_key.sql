-- risky: ADD PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE legacy_imports ADD PRIMARY KEY (id);

-- migrate:down
ALTER TABLE legacy_imports DROP CONSTRAINT legacy_imports_pkey;
