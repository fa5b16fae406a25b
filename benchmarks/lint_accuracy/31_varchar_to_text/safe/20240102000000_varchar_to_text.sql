-- safe: varchar(50) to text: binary coercible, no rewrite, indexes kept
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ALTER COLUMN name TYPE text;

-- migrate:down
ALTER TABLE users ALTER COLUMN name TYPE varchar(50);
