-- safe: the first step of a two-phase removal: mark it deprecated (the code stops using it; the drop ships later)
-- migrate:up
SET lock_timeout = '2s';
SET statement_timeout = '5min';
COMMENT ON COLUMN users.legacy_code IS 'deprecated: no longer read or written, dropped in a later release';

-- migrate:down
COMMENT ON COLUMN users.legacy_code IS NULL;
