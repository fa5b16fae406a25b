-- migrate:up
CREATE TABLE notes (
    id BIGSERIAL PRIMARY KEY,
    body TEXT NOT NULL
);

-- migrate:down
DROP TABLE notes;
