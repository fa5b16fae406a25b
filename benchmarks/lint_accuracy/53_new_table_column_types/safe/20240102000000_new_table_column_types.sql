-- safe: a new table with an int, a varchar and a timestamp column
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE TABLE shipments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL,
    parcels int NOT NULL DEFAULT 1,
    carrier varchar(40) NOT NULL,
    shipped_at timestamp NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE shipments;
