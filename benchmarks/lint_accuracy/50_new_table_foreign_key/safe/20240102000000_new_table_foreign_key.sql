-- safe: a table created earlier in the same migration, then given its foreign key
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE TABLE referrals (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL
);
ALTER TABLE referrals ADD CONSTRAINT referrals_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);

-- migrate:down
DROP TABLE referrals;
