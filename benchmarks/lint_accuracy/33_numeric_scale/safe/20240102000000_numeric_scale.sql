-- safe: numeric(10,2) to numeric(14,2): more precision, same scale, no rewrite
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2);

-- migrate:down
ALTER TABLE orders ALTER COLUMN total TYPE numeric(10,2);
