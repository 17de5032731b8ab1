-- The append-only tables number their rows without AUTOINCREMENT.
-- AUTOINCREMENT only differs from SQLite's plain rowid in never reusing
-- the number of a deleted last row; these tables' rows are never deleted
-- (their triggers refuse it), so the largest seq plus one already is a
-- number never used, and AUTOINCREMENT only cost every insert a read and
-- a write of sqlite_sequence, and a commit a page of it (docs/benchmarks.md,
-- "SQLite settings"). Each table is rebuilt with its rows, seqs, indexes
-- and triggers unchanged.

CREATE TABLE order_events_new (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	order_id    TEXT NOT NULL REFERENCES orders (id),
	merchant_id TEXT NOT NULL,
	type        TEXT NOT NULL,
	ledger_id   TEXT NOT NULL,
	amount      INTEGER NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;
INSERT INTO order_events_new SELECT * FROM order_events;
DROP TABLE order_events;
ALTER TABLE order_events_new RENAME TO order_events;
CREATE INDEX order_events_order ON order_events (order_id, seq);
CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events
BEGIN
	SELECT RAISE(ABORT, 'order_events is append-only');
END;
CREATE TRIGGER order_events_no_delete BEFORE DELETE ON order_events
BEGIN
	SELECT RAISE(ABORT, 'order_events is append-only');
END;

CREATE TABLE audit_events_new (
	seq         INTEGER PRIMARY KEY,
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
INSERT INTO audit_events_new SELECT * FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_merchant ON audit_events (merchant_id, at, seq);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
	SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
	SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TABLE credit_decisions_new (
	seq             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	merchant_id     TEXT NOT NULL,
	kind            TEXT NOT NULL,
	session_id      TEXT NOT NULL,
	order_id        TEXT NOT NULL, -- '' for an authorization
	company_id      TEXT NOT NULL,
	currency        TEXT NOT NULL,
	amount          INTEGER NOT NULL,
	exposure        INTEGER NOT NULL,
	credit_limit    INTEGER NOT NULL,
	signatory_above INTEGER NOT NULL,
	policy_version  INTEGER NOT NULL, -- 0: the merchant had none
	sandbox         INTEGER NOT NULL CHECK (sandbox IN (0, 1)),
	provider        TEXT NOT NULL,
	outcome         TEXT NOT NULL,
	rule            TEXT NOT NULL,
	reason          TEXT NOT NULL,
	created_at      INTEGER NOT NULL
) STRICT;
INSERT INTO credit_decisions_new SELECT * FROM credit_decisions;
DROP TABLE credit_decisions;
ALTER TABLE credit_decisions_new RENAME TO credit_decisions;
CREATE INDEX credit_decisions_merchant ON credit_decisions (merchant_id, seq);
CREATE INDEX credit_decisions_company ON credit_decisions (merchant_id, company_id, seq);
CREATE TRIGGER credit_decisions_no_update BEFORE UPDATE ON credit_decisions
BEGIN
	SELECT RAISE(ABORT, 'credit_decisions is append-only');
END;
CREATE TRIGGER credit_decisions_no_delete BEFORE DELETE ON credit_decisions
BEGIN
	SELECT RAISE(ABORT, 'credit_decisions is append-only');
END;

DELETE FROM sqlite_sequence WHERE name IN ('order_events', 'audit_events', 'credit_decisions');
