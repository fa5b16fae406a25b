-- safe: a view under the new name while the code moves
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE VIEW purchases AS SELECT * FROM orders;

-- migrate:down
DROP VIEW purchases;
