-- risky: a type change with a computing USING rewrites the table
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ALTER COLUMN name TYPE varchar(255) USING btrim(name);

-- migrate:down
ALTER TABLE users ALTER COLUMN name TYPE varchar(50);
