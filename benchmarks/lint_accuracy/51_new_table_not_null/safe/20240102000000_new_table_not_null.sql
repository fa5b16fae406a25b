-- safe: a table created earlier in the same migration, then altered (NOT NULL, CHECK)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE TABLE refunds (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint,
    reason text
);
ALTER TABLE refunds ALTER COLUMN order_id SET NOT NULL;
ALTER TABLE refunds ADD CONSTRAINT refunds_reason_check CHECK (reason <> '');

-- migrate:down
DROP TABLE refunds;
