-- Notifications: the outbox (notifications and their deliveries, written
-- in the transaction of the change that causes them), the delivery log,
-- merchant endpoints and automatic captures. Times are unix microseconds.

CREATE TABLE notification_endpoints (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	url         TEXT NOT NULL,
	secret      TEXT NOT NULL,
	event_types TEXT NOT NULL, -- JSON array; [] for every type
	created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX notification_endpoints_merchant ON notification_endpoints (merchant_id, created_at);

CREATE TABLE notifications (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	type        TEXT NOT NULL,
	order_id    TEXT NOT NULL, -- '' for authorization events
	session_id  TEXT NOT NULL,
	body        BLOB NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX notifications_merchant ON notifications (merchant_id, created_at, id);
CREATE INDEX notifications_order ON notifications (order_id);
CREATE INDEX notifications_session ON notifications (session_id);

-- next_at is when the next attempt is due while pending. A claim moves it
-- to the end of the claimer's lease and sets claim: the lease is a
-- compare-and-set on next_at, so a crashed claimer's deliveries fall due
-- again when the lease ends.
CREATE TABLE notification_deliveries (
	id              TEXT PRIMARY KEY,
	notification_id TEXT NOT NULL REFERENCES notifications (id),
	merchant_id     TEXT NOT NULL,
	endpoint_id     TEXT NOT NULL, -- '' for the session's notification URL
	url             TEXT NOT NULL,
	state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts        INTEGER NOT NULL,
	next_at         INTEGER NOT NULL,
	claim           TEXT NOT NULL,
	created_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX notification_deliveries_due ON notification_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX notification_deliveries_notification ON notification_deliveries (notification_id);

CREATE TABLE notification_attempts (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	delivery_id TEXT NOT NULL REFERENCES notification_deliveries (id),
	at          INTEGER NOT NULL,
	status_code INTEGER NOT NULL,
	latency_us  INTEGER NOT NULL,
	body        TEXT NOT NULL,
	error       TEXT NOT NULL
) STRICT;

CREATE INDEX notification_attempts_delivery ON notification_attempts (delivery_id, seq);

CREATE TABLE auto_captures (
	order_id    TEXT PRIMARY KEY REFERENCES orders (id),
	merchant_id TEXT NOT NULL,
	due_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX auto_captures_due ON auto_captures (due_at, order_id);
