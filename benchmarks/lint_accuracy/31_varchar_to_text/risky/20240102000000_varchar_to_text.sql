-- risky: varchar to text with a new collation: every index on the column is rebuilt under an ACCESS EXCLUSIVE lock
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ALTER COLUMN name TYPE text COLLATE "C";

-- migrate:down
ALTER TABLE users ALTER COLUMN name TYPE varchar(50);
