-- risky: an UPDATE of the whole table in one statement: every row locked until commit
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
UPDATE users SET email = lower(email);

-- migrate:down
-- schemactl: no-op
