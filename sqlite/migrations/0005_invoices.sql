-- Invoice documents, their numbering, payments and the mail outbox.

CREATE TABLE invoice_settings (
	merchant_id TEXT PRIMARY KEY,
	doc         TEXT NOT NULL
) STRICT;

-- One row per merchant holding the last document number issued; it is
-- bumped in the transaction that issues, so numbers have no gaps.
CREATE TABLE document_counters (
	merchant_id TEXT PRIMARY KEY,
	last        INTEGER NOT NULL
) STRICT;

CREATE TABLE documents (
	id                TEXT PRIMARY KEY,
	merchant_id       TEXT NOT NULL,
	order_id          TEXT NOT NULL,
	ledger_id         TEXT NOT NULL,
	kind              TEXT NOT NULL,
	number            INTEGER NOT NULL,
	payment_reference TEXT UNIQUE, -- NULL when the document asks for no payment
	access_token      TEXT NOT NULL UNIQUE,
	payable           INTEGER NOT NULL,
	due_at            INTEGER NOT NULL, -- the due date, for the overdue scan
	doc               TEXT NOT NULL,
	created_at        INTEGER NOT NULL,
	UNIQUE (merchant_id, number),
	UNIQUE (ledger_id, kind)
) STRICT;

CREATE INDEX documents_order ON documents (order_id, number);
CREATE INDEX documents_due ON documents (due_at) WHERE payable > 0;

-- One row per document found overdue: the primary key makes the reminder
-- happen once, whichever process finds it first.
CREATE TABLE document_overdue (
	document_id TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	marked_at   INTEGER NOT NULL
) STRICT;

-- An issued document is never edited: a correction is a credit note.
CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
BEGIN
	SELECT RAISE(ABORT, 'documents are immutable');
END;

CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN
	SELECT RAISE(ABORT, 'documents are immutable');
END;

CREATE TABLE bank_payments (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	bank_ref    TEXT NOT NULL, -- the bank's id of the entry: a re-import skips it
	reference   TEXT NOT NULL,
	amount      INTEGER NOT NULL,
	currency    TEXT NOT NULL,
	document_id TEXT, -- NULL while unmatched
	booked_at   INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	UNIQUE (merchant_id, bank_ref)
) STRICT;

CREATE INDEX bank_payments_document ON bank_payments (document_id);
CREATE INDEX bank_payments_merchant ON bank_payments (merchant_id, created_at);

CREATE TABLE mail_outbox (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	document_id TEXT NOT NULL,
	doc         TEXT NOT NULL, -- the envelope: Message-ID, recipients, subject
	attempts    INTEGER NOT NULL,
	next_at     INTEGER, -- NULL once sent
	sent_at     INTEGER,
	last_error  TEXT NOT NULL,
	created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX mail_outbox_due ON mail_outbox (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX mail_outbox_merchant ON mail_outbox (merchant_id, created_at);
