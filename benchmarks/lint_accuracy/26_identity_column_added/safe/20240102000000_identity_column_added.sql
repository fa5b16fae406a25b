-- safe: a sequence and a plain column with DEFAULT nextval set after the ADD (existing rows backfilled later)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE SEQUENCE users_seq_seq;
ALTER TABLE users ADD COLUMN seq bigint;
ALTER SEQUENCE users_seq_seq OWNED BY users.seq;
ALTER TABLE users ALTER COLUMN seq SET DEFAULT nextval('users_seq_seq');

-- migrate:down
ALTER TABLE users DROP COLUMN seq;
