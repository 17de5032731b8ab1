-- The audit log: one row for each change and for each failed or refused
-- attempt at one, with who acted, what, on what, through which request,
-- from where and with which outcome (package audit, docs/audit.md).
--
-- merchant_id is '' for events that belong to no merchant Kassa can name.
-- Times are unix microseconds, as everywhere; status is the HTTP status
-- answered, 0 outside HTTP; replay is 1 for an answer replayed from an
-- Idempotency-Key's stored one.
CREATE TABLE audit_events (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	merchant_id TEXT NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	target      TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	source      TEXT NOT NULL,
	status      INTEGER NOT NULL,
	outcome     TEXT NOT NULL,
	replay      INTEGER NOT NULL,
	at          INTEGER NOT NULL
) STRICT;

-- A merchant's events, newest first (the API's listing).
CREATE INDEX audit_events_merchant ON audit_events (merchant_id, at, seq);

-- The log is evidence: it is only ever appended to.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
	SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
	SELECT RAISE(ABORT, 'audit_events is append-only');
END;
