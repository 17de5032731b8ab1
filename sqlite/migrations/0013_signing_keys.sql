-- The access-token signing keys that rotations make (docs/secrets.md),
-- each sealed under the key-encryption key, context "access token
-- signing key <id>". The first key stays in settings.token_signing_key,
-- where Kassa processes from before rotations read it. created_at is unix
-- microseconds: the last key made is the current one.

CREATE TABLE signing_keys (
	id         TEXT PRIMARY KEY,
	sealed     TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
