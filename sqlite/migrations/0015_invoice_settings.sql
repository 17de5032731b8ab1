-- Sellers' logos, by the SHA-256 of their bytes (hex). A document names
-- the logo it was issued with, and documents never change, so neither do
-- the logos: rows are only ever added.
CREATE TABLE invoice_logos (
	sha256 TEXT PRIMARY KEY,
	image  BLOB NOT NULL
) STRICT;

CREATE TRIGGER invoice_logos_no_update BEFORE UPDATE ON invoice_logos
BEGIN
	SELECT RAISE(ABORT, 'invoice logos are immutable');
END;

CREATE TRIGGER invoice_logos_no_delete BEFORE DELETE ON invoice_logos
BEGIN
	SELECT RAISE(ABORT, 'invoice logos are immutable');
END;

-- The number a merchant's series starts at. Until its first document is
-- numbered, last is first - 1; after, first never changes, so the series
-- stays unbroken.
ALTER TABLE document_counters ADD COLUMN first INTEGER NOT NULL DEFAULT 1;

CREATE TRIGGER document_counters_first_once BEFORE UPDATE OF first ON document_counters
WHEN OLD.last >= OLD.first AND NEW.first <> OLD.first
BEGIN
	SELECT RAISE(ABORT, 'the number series has begun: its first number cannot change');
END;
