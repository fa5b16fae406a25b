-- risky: DROP TABLE of a table running code may still use
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
DROP TABLE sessions;

-- migrate:down
CREATE TABLE sessions (id bigint PRIMARY KEY, user_id bigint NOT NULL, token text NOT NULL);
