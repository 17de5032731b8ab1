-- Listing a merchant's payment sessions by state, and its documents
-- (docs/api-reference.md, Lists). The session columns are written with
-- the session's document by the same INSERT and UPDATE: state is the
-- stored state (session.Session.State); expires_at, in unix
-- microseconds, is when a session in it reads "expired"
-- (session.Session.StateAt), NULL when it never will: it placed an order
-- or was cancelled.
ALTER TABLE payment_sessions ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_sessions ADD COLUMN expires_at INTEGER;

-- Sessions saved before this migration; their expiry to the millisecond,
-- SQLite's precision for times.
UPDATE payment_sessions SET
	state = json_extract(doc, '$.state'),
	expires_at = CASE
		WHEN coalesce(json_extract(doc, '$.orderId'), '') != '' OR json_extract(doc, '$.state') = 'cancelled' THEN NULL
		ELSE CAST(round(unixepoch(json_extract(doc, '$.expiresAt'), 'subsec') * 1000000) AS INTEGER)
	END;

-- Newest first, a page at a time: the cursor is (created_at, id).
CREATE INDEX payment_sessions_list ON payment_sessions (merchant_id, created_at, id);

-- GET /v1/documents pages the same way through a merchant's documents.
CREATE INDEX documents_list ON documents (merchant_id, created_at, id);
