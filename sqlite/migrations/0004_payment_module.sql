-- The payment module (merchant side). Each record is the JSON of its
-- domain value (doc) plus the columns that are looked up, versioned or
-- checked. version is compared on every update: a save over a newer row
-- is refused, which keeps concurrent writers honest on any database.

CREATE TABLE payment_collections (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	doc         TEXT NOT NULL,
	version     INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX payment_collections_merchant ON payment_collections (merchant_id, id);

CREATE TABLE collection_sessions (
	id            TEXT PRIMARY KEY,
	merchant_id   TEXT NOT NULL,
	collection_id TEXT NOT NULL REFERENCES payment_collections (id),
	provider_id   TEXT NOT NULL,
	provider_ref  TEXT NOT NULL, -- '' until the provider names the session
	doc           TEXT NOT NULL,
	version       INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX collection_sessions_collection ON collection_sessions (collection_id, created_at);
CREATE INDEX collection_sessions_ref ON collection_sessions (provider_id, provider_ref);

-- The amount columns repeat what doc holds so that the database itself
-- refuses a payment that captures (or reserves) more than was authorized
-- or refunds more than was captured.
CREATE TABLE payments (
	id               TEXT PRIMARY KEY,
	merchant_id      TEXT NOT NULL,
	collection_id    TEXT NOT NULL REFERENCES payment_collections (id),
	session_id       TEXT NOT NULL UNIQUE REFERENCES collection_sessions (id),
	doc              TEXT NOT NULL,
	amount           INTEGER NOT NULL,
	captured         INTEGER NOT NULL,
	capture_reserved INTEGER NOT NULL,
	refunded         INTEGER NOT NULL,
	refund_reserved  INTEGER NOT NULL,
	version          INTEGER NOT NULL,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	CHECK (captured >= 0 AND capture_reserved >= 0 AND refunded >= 0 AND refund_reserved >= 0),
	CHECK (captured + capture_reserved <= amount),
	CHECK (refunded + refund_reserved <= captured)
) STRICT;

CREATE INDEX payments_collection ON payments (collection_id, created_at);

CREATE TABLE provider_events (
	provider_id  TEXT NOT NULL,
	event_id     TEXT NOT NULL,
	merchant_id  TEXT NOT NULL,
	status       TEXT NOT NULL,
	action       TEXT NOT NULL,
	body         BLOB NOT NULL,
	received_at  INTEGER NOT NULL,
	processed_at INTEGER NOT NULL, -- 0 until processed
	PRIMARY KEY (provider_id, event_id)
) STRICT;
