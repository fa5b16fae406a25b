-- risky: varchar(50) to varchar(20): every row is checked (or the migration fails) under an ACCESS EXCLUSIVE lock
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ALTER COLUMN name TYPE varchar(20);

-- migrate:down
ALTER TABLE users ALTER COLUMN name TYPE varchar(50);
