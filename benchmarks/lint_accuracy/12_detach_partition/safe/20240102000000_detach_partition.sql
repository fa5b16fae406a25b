-- safe: DETACH PARTITION ... CONCURRENTLY, transaction:false
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;

-- migrate:down transaction:false
ALTER TABLE events ATTACH PARTITION events_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
