-- The payment module (merchant side): the SQLite store's migration of the
-- same number in PostgreSQL's types. Each record is the JSON of its
-- domain value (doc) plus the columns that are looked up, versioned or
-- checked. version is compared on every update: a save over a newer row
-- is refused, which keeps concurrent writers honest on any database.

CREATE TABLE payment_collections (
	id          text PRIMARY KEY,
	merchant_id text NOT NULL,
	doc         json NOT NULL,
	version     bigint NOT NULL,
	created_at  bigint NOT NULL,
	updated_at  bigint NOT NULL
);

CREATE INDEX payment_collections_merchant ON payment_collections (merchant_id, id);

CREATE TABLE collection_sessions (
	id            text PRIMARY KEY,
	merchant_id   text NOT NULL,
	collection_id text NOT NULL REFERENCES payment_collections (id),
	provider_id   text NOT NULL,
	provider_ref  text NOT NULL, -- '' until the provider names the session
	doc           json NOT NULL,
	version       bigint NOT NULL,
	created_at    bigint NOT NULL,
	updated_at    bigint NOT NULL
);

CREATE INDEX collection_sessions_collection ON collection_sessions (collection_id, created_at);
CREATE INDEX collection_sessions_ref ON collection_sessions (provider_id, provider_ref);

-- The amount columns repeat what doc holds so that the database itself
-- refuses a payment that captures (or reserves) more than was authorized
-- or refunds more than was captured.
CREATE TABLE payments (
	id               text PRIMARY KEY,
	merchant_id      text NOT NULL,
	collection_id    text NOT NULL REFERENCES payment_collections (id),
	session_id       text NOT NULL UNIQUE REFERENCES collection_sessions (id),
	doc              json NOT NULL,
	amount           bigint NOT NULL,
	captured         bigint NOT NULL,
	capture_reserved bigint NOT NULL,
	refunded         bigint NOT NULL,
	refund_reserved  bigint NOT NULL,
	version          bigint NOT NULL,
	created_at       bigint NOT NULL,
	updated_at       bigint NOT NULL,
	CHECK (captured >= 0 AND capture_reserved >= 0 AND refunded >= 0 AND refund_reserved >= 0),
	CHECK (captured + capture_reserved <= amount),
	CHECK (refunded + refund_reserved <= captured)
);

CREATE INDEX payments_collection ON payments (collection_id, created_at);

CREATE TABLE provider_events (
	provider_id  text NOT NULL,
	event_id     text NOT NULL,
	merchant_id  text NOT NULL,
	status       text NOT NULL,
	action       text NOT NULL,
	body         bytea NOT NULL,
	received_at  bigint NOT NULL,
	processed_at bigint NOT NULL, -- 0 until processed
	PRIMARY KEY (provider_id, event_id)
);
