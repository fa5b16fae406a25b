-- risky: RENAME TABLE breaks code still using the old name
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders RENAME TO purchases;

-- migrate:down
ALTER TABLE purchases RENAME TO orders;
