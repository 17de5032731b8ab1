-- The merchant dashboard's users, their sessions and one-time tokens
-- (docs/dashboard.md). An e-mail address (lower case) belongs to one
-- user of one merchant. Sessions and tokens are keyed by the SHA-256 of
-- their secret: the database never holds one. Times are unix
-- microseconds; used_at is 0 while a token is unused.

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	merchant_id   TEXT NOT NULL,
	email         TEXT NOT NULL UNIQUE,
	role          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	totp_secret   TEXT NOT NULL,
	totp_enabled  INTEGER NOT NULL CHECK (totp_enabled IN (0, 1)),
	totp_step     INTEGER NOT NULL,
	created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX users_merchant ON users (merchant_id, created_at);

CREATE TABLE dashboard_sessions (
	hash         TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL,
	merchant_id  TEXT NOT NULL,
	pending      INTEGER NOT NULL CHECK (pending IN (0, 1)),
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
) STRICT;

CREATE INDEX dashboard_sessions_user ON dashboard_sessions (user_id);

CREATE TABLE one_time_tokens (
	hash        TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	used_at     INTEGER NOT NULL
) STRICT;
