-- risky: RENAME COLUMN breaks code still using the old name
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users RENAME COLUMN name TO display_name;

-- migrate:down
ALTER TABLE users RENAME COLUMN display_name TO name;
