-- The same tables as the SQLite store's 0005, in PostgreSQL's types.

CREATE TABLE invoice_settings (
	merchant_id text PRIMARY KEY,
	doc         json NOT NULL
);

-- One row per merchant holding the last document number issued; it is
-- bumped in the transaction that issues, so numbers have no gaps.
CREATE TABLE document_counters (
	merchant_id text PRIMARY KEY,
	last        bigint NOT NULL
);

CREATE TABLE documents (
	id                text PRIMARY KEY,
	merchant_id       text NOT NULL,
	order_id          text NOT NULL,
	ledger_id         text NOT NULL,
	kind              text NOT NULL,
	number            bigint NOT NULL,
	payment_reference text UNIQUE, -- NULL when the document asks for no payment
	access_token      text NOT NULL UNIQUE,
	payable           bigint NOT NULL,
	due_at            bigint NOT NULL, -- the due date, for the overdue scan
	doc               json NOT NULL,
	created_at        bigint NOT NULL,
	UNIQUE (merchant_id, number),
	UNIQUE (ledger_id, kind)
);

CREATE INDEX documents_order ON documents (order_id, number);
CREATE INDEX documents_due ON documents (due_at) WHERE payable > 0;

-- One row per document found overdue: the primary key makes the reminder
-- happen once, whichever process finds it first.
CREATE TABLE document_overdue (
	document_id text PRIMARY KEY,
	merchant_id text NOT NULL,
	marked_at   bigint NOT NULL
);

-- An issued document is never edited: a correction is a credit note.
CREATE FUNCTION documents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'documents are immutable';
END
$$;

CREATE TRIGGER documents_no_change BEFORE UPDATE OR DELETE ON documents
	FOR EACH ROW EXECUTE FUNCTION documents_immutable();

CREATE TABLE bank_payments (
	id          text PRIMARY KEY,
	merchant_id text NOT NULL,
	bank_ref    text NOT NULL, -- the bank's id of the entry: a re-import skips it
	reference   text NOT NULL,
	amount      bigint NOT NULL,
	currency    text NOT NULL,
	document_id text, -- NULL while unmatched
	booked_at   bigint NOT NULL,
	created_at  bigint NOT NULL,
	UNIQUE (merchant_id, bank_ref)
);

CREATE INDEX bank_payments_document ON bank_payments (document_id);
CREATE INDEX bank_payments_merchant ON bank_payments (merchant_id, created_at);

CREATE TABLE mail_outbox (
	id          text PRIMARY KEY,
	merchant_id text NOT NULL,
	document_id text NOT NULL,
	doc         json NOT NULL, -- the envelope: Message-ID, recipients, subject
	attempts    bigint NOT NULL,
	next_at     bigint, -- NULL once sent
	sent_at     bigint,
	last_error  text NOT NULL,
	created_at  bigint NOT NULL
);

CREATE INDEX mail_outbox_due ON mail_outbox (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX mail_outbox_merchant ON mail_outbox (merchant_id, created_at);
