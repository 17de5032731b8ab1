-- API clients have a name and a scope, and can be rotated and revoked
-- (docs/api-keys.md). The clients made before this migration are write
-- clients, as every client was, named "default".
--
-- Times are unix microseconds, 0 for never. A rotation keeps the previous
-- secret's hash until previous_until; generation counts the rotations,
-- and each access token carries the generation of the secret it was
-- issued for.

ALTER TABLE api_clients ADD COLUMN name text NOT NULL DEFAULT 'default';
ALTER TABLE api_clients ADD COLUMN scope text NOT NULL DEFAULT 'write';
ALTER TABLE api_clients ADD COLUMN generation bigint NOT NULL DEFAULT 0;
ALTER TABLE api_clients ADD COLUMN rotated_at bigint NOT NULL DEFAULT 0;
ALTER TABLE api_clients ADD COLUMN previous_hash bytea;
ALTER TABLE api_clients ADD COLUMN previous_until bigint NOT NULL DEFAULT 0;
ALTER TABLE api_clients ADD COLUMN revoked_at bigint NOT NULL DEFAULT 0;

-- Every process reads the clients revoked or rotated lately, every second.
CREATE INDEX api_clients_revoked ON api_clients (revoked_at);
CREATE INDEX api_clients_rotated ON api_clients (rotated_at);
