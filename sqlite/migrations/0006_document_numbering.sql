-- Documents are numbered after the transaction that issues them commits,
-- in batches (see docs/invoices.md): the capture no longer waits for the
-- merchant's counter row. A document is issued with its reference (the
-- chunk's documentReference) and without a number; the number is set once.
-- SQLite cannot drop NOT NULL, so the table is rebuilt.

CREATE TABLE documents_numbered (
	seq               INTEGER PRIMARY KEY, -- issue order: numbers follow it
	id                TEXT NOT NULL UNIQUE,
	merchant_id       TEXT NOT NULL,
	order_id          TEXT NOT NULL,
	ledger_id         TEXT NOT NULL,
	kind              TEXT NOT NULL,
	number            INTEGER, -- NULL until numbered
	reference         TEXT NOT NULL,
	refers_to         TEXT, -- the credited invoice, or the advance invoice that paid this one
	payment_reference TEXT UNIQUE, -- NULL when the document asks for no payment
	access_token      TEXT NOT NULL UNIQUE,
	payable           INTEGER NOT NULL,
	due_at            INTEGER NOT NULL,
	doc               TEXT NOT NULL,
	created_at        INTEGER NOT NULL,
	UNIQUE (merchant_id, number),
	UNIQUE (merchant_id, reference),
	UNIQUE (ledger_id, kind)
) STRICT;

-- Documents issued before keep their number as their reference, which is
-- what their orders' chunks show.
INSERT INTO documents_numbered
	(id, merchant_id, order_id, ledger_id, kind, number, reference, payment_reference, access_token, payable, due_at, doc, created_at)
	SELECT id, merchant_id, order_id, ledger_id, kind, number, CAST(number AS TEXT), payment_reference, access_token, payable, due_at, doc, created_at
	FROM documents ORDER BY merchant_id, number;

DROP TABLE documents;
ALTER TABLE documents_numbered RENAME TO documents;

CREATE INDEX documents_order ON documents (order_id, seq);
CREATE INDEX documents_due ON documents (due_at) WHERE payable > 0;
CREATE INDEX documents_unnumbered ON documents (seq) WHERE number IS NULL;

-- An issued document is never edited (a correction is a credit note),
-- except that its number is set, once.
CREATE TRIGGER documents_no_update
BEFORE UPDATE OF seq, id, merchant_id, order_id, ledger_id, kind, reference, refers_to,
	payment_reference, access_token, payable, due_at, doc, created_at ON documents
BEGIN
	SELECT RAISE(ABORT, 'documents are immutable');
END;

CREATE TRIGGER documents_number_once BEFORE UPDATE OF number ON documents
WHEN OLD.number IS NOT NULL OR NEW.number IS NULL
BEGIN
	SELECT RAISE(ABORT, 'a document is numbered once');
END;

CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN
	SELECT RAISE(ABORT, 'documents are immutable');
END;
