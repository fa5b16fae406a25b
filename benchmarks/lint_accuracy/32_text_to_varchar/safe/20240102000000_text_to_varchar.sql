-- safe: keep text, add CHECK (char_length(email) <= 100) NOT VALID
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE users ADD CONSTRAINT users_email_length CHECK (char_length(email) <= 100) NOT VALID;

-- migrate:down
ALTER TABLE users DROP CONSTRAINT users_email_length;
