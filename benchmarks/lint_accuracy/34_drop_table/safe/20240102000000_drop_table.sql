-- safe: look-alike: a staging table created, used and dropped in the same migration
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE TABLE countries (code text PRIMARY KEY, name text NOT NULL);
CREATE TABLE countries_staging (code text, name text);
INSERT INTO countries_staging VALUES ('FR', 'France'), ('DE', 'Germany'), ('FR', 'France');
INSERT INTO countries SELECT DISTINCT code, name FROM countries_staging;
DROP TABLE countries_staging;

-- migrate:down
DROP TABLE countries;
