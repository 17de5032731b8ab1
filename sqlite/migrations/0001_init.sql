-- Times are INTEGER unix microseconds UTC. Documents (doc) are the JSON of
-- the domain value; the columns beside them exist to be queried or checked.

CREATE TABLE merchants (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	store_id   TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_clients (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	secret_hash BLOB NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX api_clients_merchant ON api_clients (merchant_id);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;

CREATE TABLE payment_sessions (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	doc         TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE authorization_tokens (
	token       TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	session_id  TEXT NOT NULL,
	doc         TEXT NOT NULL
) STRICT;

-- The amount columns repeat what doc holds so that the database itself
-- refuses an order that captures more than was authorized or refunds more
-- than was captured, whatever the code above it does.
CREATE TABLE orders (
	id            TEXT PRIMARY KEY,
	merchant_id   TEXT NOT NULL,
	session_id    TEXT NOT NULL,
	doc           TEXT NOT NULL,
	ready_pending INTEGER NOT NULL CHECK (ready_pending IN (0, 1)), -- not ready, lines uncaptured
	ready_at      INTEGER NOT NULL,
	authorized    INTEGER NOT NULL,
	captured      INTEGER NOT NULL,
	refunded      INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	CHECK (captured <= authorized),
	CHECK (refunded <= captured)
) STRICT;

-- Only pending orders are indexed, so the scheduler's scan stays small
-- however many orders there are.
CREATE INDEX orders_due_ready ON orders (ready_at, id) WHERE ready_pending = 1;

CREATE TABLE order_events (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	order_id    TEXT NOT NULL REFERENCES orders (id),
	merchant_id TEXT NOT NULL,
	type        TEXT NOT NULL,
	ledger_id   TEXT NOT NULL,
	amount      INTEGER NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX order_events_order ON order_events (order_id, seq);

-- An order's history is evidence: it is only ever appended to.
CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events
BEGIN
	SELECT RAISE(ABORT, 'order_events is append-only');
END;

CREATE TRIGGER order_events_no_delete BEFORE DELETE ON order_events
BEGIN
	SELECT RAISE(ABORT, 'order_events is append-only');
END;

CREATE TABLE idempotency_keys (
	merchant_id TEXT NOT NULL,
	key         TEXT NOT NULL,
	fingerprint BLOB NOT NULL,
	status      INTEGER NOT NULL,
	body        BLOB, -- NULL for a response without a body
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (merchant_id, key)
) STRICT;

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
