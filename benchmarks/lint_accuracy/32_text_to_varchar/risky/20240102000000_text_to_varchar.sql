-- risky: text to varchar(100): a length check on every row, fails on a longer value
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ALTER COLUMN email TYPE varchar(100);

-- migrate:down
ALTER TABLE users ALTER COLUMN email TYPE text;
