-- risky: a column dropped and another added: a rename that loses the data
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users DROP COLUMN name;
ALTER TABLE users ADD COLUMN full_name text;

-- migrate:down
ALTER TABLE users DROP COLUMN full_name;
ALTER TABLE users ADD COLUMN name varchar(50);
