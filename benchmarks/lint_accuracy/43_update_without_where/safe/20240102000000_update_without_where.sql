-- safe: a batch with a WHERE clause, transaction:false
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
UPDATE users SET email = lower(email)
WHERE id BETWEEN 1 AND 10000 AND email <> lower(email);

-- migrate:down transaction:false
-- schemactl: no-op
