-- migrate:up
-- No unique key on purpose: applied twice, this seed would leave two rows.
INSERT INTO notes (body) VALUES ('hello');

-- migrate:down
DELETE FROM notes WHERE body = 'hello';
