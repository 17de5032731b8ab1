-- The audit log: one row for each change and for each failed or refused
-- attempt at one, with who acted, what, on what, through which request,
-- from where and with which outcome (package audit, docs/audit.md).
--
-- merchant_id is '' for events that belong to no merchant Kassa can name.
-- Times are unix microseconds, as everywhere; status is the HTTP status
-- answered, 0 outside HTTP; replay is 1 for an answer replayed from an
-- Idempotency-Key's stored one.
CREATE TABLE audit_events (
	seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	merchant_id text NOT NULL,
	actor       text NOT NULL,
	action      text NOT NULL,
	target      text NOT NULL,
	request_id  text NOT NULL,
	source      text NOT NULL,
	status      integer NOT NULL,
	outcome     text NOT NULL,
	replay      integer NOT NULL,
	at          bigint NOT NULL
);

-- A merchant's events, newest first (the API's listing).
CREATE INDEX audit_events_merchant ON audit_events (merchant_id, at, seq);

-- The log is evidence: it is only ever appended to. TRUNCATE skips row
-- triggers, so it has one of its own.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_events is append-only';
END
$$;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
	FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
