-- migrate:up
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title VARCHAR(200) NOT NULL,
    body TEXT
);
CREATE INDEX ix_posts_user_id ON posts (user_id);

-- migrate:down
DROP TABLE posts;
