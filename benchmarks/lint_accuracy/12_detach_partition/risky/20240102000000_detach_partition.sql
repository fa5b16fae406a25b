-- risky: DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the parent
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE events DETACH PARTITION events_2023;

-- migrate:down
ALTER TABLE events ATTACH PARTITION events_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
