-- safe: a table created earlier in the same migration, then given a unique constraint and a required column
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE TABLE api_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL,
    key text NOT NULL
);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_key_key UNIQUE (key);
ALTER TABLE api_keys ADD COLUMN label text NOT NULL;

-- migrate:down
DROP TABLE api_keys;
