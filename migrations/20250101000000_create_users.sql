-- migrate:up
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE,
    username VARCHAR(100) NOT NULL UNIQUE,
    created_at TIMESTAMP,
    is_active BOOLEAN DEFAULT TRUE
);

-- migrate:down
DROP TABLE users;
