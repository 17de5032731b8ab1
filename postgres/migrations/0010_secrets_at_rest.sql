-- The SQLite store's 0010: the buyer's link tokens leave the documents.
-- The store keeps each token's SHA-256 and the token sealed under the
-- key-encryption key, which the database does not hold, so each existing
-- token waits in document_tokens' clear column until Kassa first starts
-- with a key and seals it (provider's LoadSigner).

CREATE TABLE document_tokens (
	document_id text PRIMARY KEY,
	hash        text UNIQUE, -- hex SHA-256 of the token
	sealed      text,
	clear       text, -- a token from before sealing, until it is sealed
	CHECK ((clear IS NULL) = (hash IS NOT NULL AND sealed IS NOT NULL))
);

INSERT INTO document_tokens (document_id, clear) SELECT id, access_token FROM documents;

-- The immutability trigger names the column, so it goes while the column
-- does, and the token leaves each document's JSON too.
DROP TRIGGER documents_no_update ON documents;
ALTER TABLE documents DROP COLUMN access_token;
UPDATE documents SET doc = (doc::jsonb - 'accessToken')::json;

CREATE TRIGGER documents_no_update
	BEFORE UPDATE OF seq, id, merchant_id, order_id, ledger_id, kind, reference, refers_to,
		payment_reference, payable, due_at, doc, created_at ON documents
	FOR EACH ROW EXECUTE FUNCTION documents_refuse();
