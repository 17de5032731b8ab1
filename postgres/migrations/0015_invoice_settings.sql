-- Sellers' logos, by the SHA-256 of their bytes (hex). A document names
-- the logo it was issued with, and documents never change, so neither do
-- the logos: rows are only ever added.
CREATE TABLE invoice_logos (
	sha256 text PRIMARY KEY,
	image  bytea NOT NULL
);

CREATE FUNCTION invoice_logos_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'invoice logos are immutable';
END
$$;

CREATE TRIGGER invoice_logos_no_change BEFORE UPDATE OR DELETE ON invoice_logos
	FOR EACH ROW EXECUTE FUNCTION invoice_logos_refuse();

-- The number a merchant's series starts at. Until its first document is
-- numbered, last is first - 1; after, first never changes, so the series
-- stays unbroken.
ALTER TABLE document_counters ADD COLUMN first bigint NOT NULL DEFAULT 1;

CREATE FUNCTION document_counters_first_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the number series has begun: its first number cannot change';
END
$$;

CREATE TRIGGER document_counters_first_once BEFORE UPDATE OF first ON document_counters
	FOR EACH ROW WHEN (OLD.last >= OLD.first AND NEW.first <> OLD.first)
	EXECUTE FUNCTION document_counters_first_refuse();
