-- risky: CREATE INDEX on an existing table
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE INDEX orders_note_idx ON orders (note);

-- migrate:down
DROP INDEX orders_note_idx;
