-- safe: varchar(50) to varchar(255): no rewrite, no scan
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ALTER COLUMN name TYPE varchar(255);

-- migrate:down
ALTER TABLE users ALTER COLUMN name TYPE varchar(50);
