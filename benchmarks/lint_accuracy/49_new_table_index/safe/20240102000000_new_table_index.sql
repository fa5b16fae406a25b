-- safe: a table created earlier in the same migration, then indexed (nobody else can use it yet)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE TABLE coupons (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL,
    user_id bigint
);
CREATE INDEX coupons_user_id_idx ON coupons (user_id);
CREATE UNIQUE INDEX coupons_code_key ON coupons (code);

-- migrate:down
DROP TABLE coupons;
