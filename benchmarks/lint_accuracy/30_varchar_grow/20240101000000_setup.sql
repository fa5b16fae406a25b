-- setup: the tables the pair acts on, with rows
-- migrate:up
CREATE TYPE order_state AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text,
    name varchar(50),
    legacy_code text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_name_idx ON users (name);
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint,
    total numeric(10,2) NOT NULL,
    qty integer NOT NULL DEFAULT 1,
    state order_state NOT NULL DEFAULT 'new',
    note text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_id_idx ON orders (user_id);
INSERT INTO users (email, name, legacy_code)
SELECT 'user' || g || '@example.com', 'User ' || g, 'L' || g FROM generate_series(1, 200) g;
INSERT INTO orders (user_id, total, qty, note)
SELECT 1 + g % 200, g * 1.5, 1 + g % 3, CASE WHEN g % 10 = 0 THEN 'refund' END
FROM generate_series(1, 500) g;

-- migrate:down
DROP TABLE orders;
DROP TABLE users;
DROP TYPE order_state;
