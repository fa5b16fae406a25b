-- safe: the varchar(2) column nullable
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD COLUMN country_code varchar(2);

-- migrate:down
ALTER TABLE users DROP COLUMN country_code;
