-- The buyer's link tokens leave the documents (docs/secrets.md): the store
-- keeps each token's SHA-256, to find its document by, and the token
-- sealed under the key-encryption key, for the mails that link to it. The
-- key is not the database's, so this migration moves each existing token
-- into document_tokens' clear column, and Kassa seals it on its first
-- start with a key (provider's LoadSigner), in the transaction that records
-- which key the database's secrets are sealed under.

CREATE TABLE document_tokens (
	document_id TEXT PRIMARY KEY,
	hash        TEXT UNIQUE, -- hex SHA-256 of the token
	sealed      TEXT,
	clear       TEXT, -- a token from before sealing, until it is sealed
	CHECK ((clear IS NULL) = (hash IS NOT NULL AND sealed IS NOT NULL))
) STRICT;

INSERT INTO document_tokens (document_id, clear) SELECT id, access_token FROM documents;

-- SQLite cannot drop a UNIQUE column, so the table is rebuilt, and the
-- token left out of each document's JSON as well.
CREATE TABLE documents_tokenless (
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
	payable           INTEGER NOT NULL,
	due_at            INTEGER NOT NULL,
	doc               TEXT NOT NULL,
	created_at        INTEGER NOT NULL,
	UNIQUE (merchant_id, number),
	UNIQUE (merchant_id, reference),
	UNIQUE (ledger_id, kind)
) STRICT;

INSERT INTO documents_tokenless
	(seq, id, merchant_id, order_id, ledger_id, kind, number, reference, refers_to, payment_reference, payable, due_at, doc, created_at)
	SELECT seq, id, merchant_id, order_id, ledger_id, kind, number, reference, refers_to, payment_reference, payable, due_at,
		json_remove(doc, '$.accessToken'), created_at
	FROM documents;

DROP TABLE documents;
ALTER TABLE documents_tokenless RENAME TO documents;

CREATE INDEX documents_order ON documents (order_id, seq);
CREATE INDEX documents_due ON documents (due_at) WHERE payable > 0;
CREATE INDEX documents_unnumbered ON documents (seq) WHERE number IS NULL;

-- An issued document is never edited (a correction is a credit note),
-- except that its number is set, once.
CREATE TRIGGER documents_no_update
BEFORE UPDATE OF seq, id, merchant_id, order_id, ledger_id, kind, reference, refers_to,
	payment_reference, payable, due_at, doc, created_at ON documents
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
