-- The same tables as the SQLite store's first migration, in PostgreSQL's
-- types. Times are BIGINT unix microseconds UTC and documents JSON, so
-- both stores run the same statements (package store/sqlstore). Documents
-- are json, not jsonb: json keeps the text byte for byte, as merchants'
-- metadata must round-trip.

CREATE TABLE merchants (
	id         text PRIMARY KEY,
	name       text NOT NULL,
	store_id   text NOT NULL,
	created_at bigint NOT NULL
);

CREATE TABLE api_clients (
	id          text PRIMARY KEY,
	merchant_id text NOT NULL REFERENCES merchants (id),
	secret_hash bytea NOT NULL,
	created_at  bigint NOT NULL
);

CREATE INDEX api_clients_merchant ON api_clients (merchant_id);

CREATE TABLE settings (
	name  text PRIMARY KEY,
	value bytea NOT NULL
);

CREATE TABLE payment_sessions (
	id          text PRIMARY KEY,
	merchant_id text NOT NULL,
	doc         json NOT NULL,
	created_at  bigint NOT NULL,
	updated_at  bigint NOT NULL
);

CREATE TABLE authorization_tokens (
	token       text PRIMARY KEY,
	merchant_id text NOT NULL,
	session_id  text NOT NULL,
	doc         json NOT NULL
);

-- The amount columns repeat what doc holds so that the database itself
-- refuses an order that captures more than was authorized or refunds more
-- than was captured, whatever the code above it does.
CREATE TABLE orders (
	id            text PRIMARY KEY,
	merchant_id   text NOT NULL,
	session_id    text NOT NULL,
	doc           json NOT NULL,
	ready_pending smallint NOT NULL CHECK (ready_pending IN (0, 1)),
	ready_at      bigint NOT NULL,
	authorized    bigint NOT NULL,
	captured      bigint NOT NULL,
	refunded      bigint NOT NULL,
	created_at    bigint NOT NULL,
	updated_at    bigint NOT NULL,
	CHECK (captured <= authorized),
	CHECK (refunded <= captured)
);

CREATE INDEX orders_due_ready ON orders (ready_at, id) WHERE ready_pending = 1;

CREATE TABLE order_events (
	seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id          text NOT NULL UNIQUE,
	order_id    text NOT NULL REFERENCES orders (id),
	merchant_id text NOT NULL,
	type        text NOT NULL,
	ledger_id   text NOT NULL,
	amount      bigint NOT NULL,
	created_at  bigint NOT NULL
);

CREATE INDEX order_events_order ON order_events (order_id, seq);

-- An order's history is evidence: it is only ever appended to.
CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'order_events is append-only';
END
$$;

CREATE TRIGGER order_events_no_change BEFORE UPDATE OR DELETE ON order_events
	FOR EACH ROW EXECUTE FUNCTION order_events_append_only();

CREATE TABLE idempotency_keys (
	merchant_id text NOT NULL,
	key         text NOT NULL,
	fingerprint bytea NOT NULL,
	status      integer NOT NULL,
	body        bytea, -- NULL for a response without a body
	created_at  bigint NOT NULL,
	PRIMARY KEY (merchant_id, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
