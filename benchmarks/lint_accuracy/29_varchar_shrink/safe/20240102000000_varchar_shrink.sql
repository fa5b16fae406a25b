-- safe: a CHECK (char_length(name) <= 20) NOT VALID
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD CONSTRAINT users_name_length CHECK (char_length(name) <= 20) NOT VALID;

-- migrate:down
ALTER TABLE users DROP CONSTRAINT users_name_length;
