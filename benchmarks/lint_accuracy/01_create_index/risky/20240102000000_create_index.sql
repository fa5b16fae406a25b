-- risky: CREATE INDEX on an existing table blocks its writes for the build
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE INDEX orders_created_at_idx ON orders (created_at);

-- migrate:down
DROP INDEX orders_created_at_idx;
