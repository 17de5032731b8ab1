-- The merchant dashboard's users, their sessions and one-time tokens
-- (docs/dashboard.md). An e-mail address (lower case) belongs to one
-- user of one merchant. Sessions and tokens are keyed by the SHA-256 of
-- their secret: the database never holds one. Times are unix
-- microseconds; used_at is 0 while a token is unused.

CREATE TABLE users (
	id            text PRIMARY KEY,
	merchant_id   text NOT NULL,
	email         text NOT NULL UNIQUE,
	role          text NOT NULL,
	password_hash text NOT NULL,
	totp_secret   text NOT NULL,
	totp_enabled  smallint NOT NULL CHECK (totp_enabled IN (0, 1)),
	totp_step     bigint NOT NULL,
	created_at    bigint NOT NULL
);

CREATE INDEX users_merchant ON users (merchant_id, created_at);

CREATE TABLE dashboard_sessions (
	hash         text PRIMARY KEY,
	user_id      text NOT NULL,
	merchant_id  text NOT NULL,
	pending      smallint NOT NULL CHECK (pending IN (0, 1)),
	created_at   bigint NOT NULL,
	last_seen_at bigint NOT NULL
);

CREATE INDEX dashboard_sessions_user ON dashboard_sessions (user_id);

CREATE TABLE one_time_tokens (
	hash        text PRIMARY KEY,
	kind        text NOT NULL,
	user_id     text NOT NULL,
	merchant_id text NOT NULL,
	created_at  bigint NOT NULL,
	expires_at  bigint NOT NULL,
	used_at     bigint NOT NULL
);
