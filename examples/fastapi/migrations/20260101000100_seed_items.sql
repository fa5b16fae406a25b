-- migrate:up
-- No unique key on purpose: applied twice, this seed would leave four rows.
INSERT INTO items (name) VALUES ('first'), ('second');

-- migrate:down
DELETE FROM items WHERE name IN ('first', 'second');
