-- risky: ADD COLUMN varchar(2) NOT NULL without a default on a table with rows
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN country_code varchar(2) NOT NULL;

-- migrate:down
ALTER TABLE users DROP COLUMN country_code;
