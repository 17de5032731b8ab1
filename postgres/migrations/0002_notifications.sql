-- Notifications, as the SQLite store's migration 0002 holds them, in
-- PostgreSQL's types: the outbox, the delivery log, merchant endpoints and
-- automatic captures. Times are bigint unix microseconds.

CREATE TABLE notification_endpoints (
	id          text PRIMARY KEY,
	merchant_id text NOT NULL,
	url         text NOT NULL,
	secret      text NOT NULL,
	event_types text NOT NULL, -- JSON array; [] for every type
	created_at  bigint NOT NULL
);

CREATE INDEX notification_endpoints_merchant ON notification_endpoints (merchant_id, created_at);

CREATE TABLE notifications (
	id          text PRIMARY KEY,
	merchant_id text NOT NULL,
	type        text NOT NULL,
	order_id    text NOT NULL, -- '' for authorization events
	session_id  text NOT NULL,
	body        bytea NOT NULL,
	created_at  bigint NOT NULL
);

CREATE INDEX notifications_merchant ON notifications (merchant_id, created_at, id);
CREATE INDEX notifications_order ON notifications (order_id);
CREATE INDEX notifications_session ON notifications (session_id);

-- next_at is when the next attempt is due while pending. A claim moves it
-- to the end of the claimer's lease and sets claim: the lease is a
-- compare-and-set on next_at, so a crashed claimer's deliveries fall due
-- again when the lease ends.
CREATE TABLE notification_deliveries (
	id              text PRIMARY KEY,
	notification_id text NOT NULL REFERENCES notifications (id),
	merchant_id     text NOT NULL,
	endpoint_id     text NOT NULL, -- '' for the session's notification URL
	url             text NOT NULL,
	state           text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts        bigint NOT NULL,
	next_at         bigint NOT NULL,
	claim           text NOT NULL,
	created_at      bigint NOT NULL
);

CREATE INDEX notification_deliveries_due ON notification_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX notification_deliveries_notification ON notification_deliveries (notification_id);

CREATE TABLE notification_attempts (
	seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delivery_id text NOT NULL REFERENCES notification_deliveries (id),
	at          bigint NOT NULL,
	status_code bigint NOT NULL,
	latency_us  bigint NOT NULL,
	body        text NOT NULL,
	error       text NOT NULL
);

CREATE INDEX notification_attempts_delivery ON notification_attempts (delivery_id, seq);

CREATE TABLE auto_captures (
	order_id    text PRIMARY KEY REFERENCES orders (id),
	merchant_id text NOT NULL,
	due_at      bigint NOT NULL
);

CREATE INDEX auto_captures_due ON auto_captures (due_at, order_id);
