-- safe: mark the clustering index only (metadata, SHARE UPDATE EXCLUSIVE); the reorder runs with pg_repack outside migrations
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders CLUSTER ON orders_user_id_idx;

-- migrate:down
ALTER TABLE orders SET WITHOUT CLUSTER;
