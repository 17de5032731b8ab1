-- The SQLite store's 0006: documents are numbered after the transaction
-- that issues them commits, in batches; a document is issued with its
-- reference and without a number, and the number is set once.

DROP TRIGGER documents_no_change ON documents;

ALTER TABLE documents ALTER COLUMN number DROP NOT NULL;
ALTER TABLE documents ADD COLUMN seq bigserial; -- issue order: numbers follow it
ALTER TABLE documents ADD COLUMN refers_to text; -- the credited invoice, or the advance invoice that paid this one
ALTER TABLE documents ADD COLUMN reference text;
-- Documents issued before keep their number as their reference, which is
-- what their orders' chunks show.
UPDATE documents SET reference = number::text;
ALTER TABLE documents ALTER COLUMN reference SET NOT NULL;
ALTER TABLE documents ADD UNIQUE (merchant_id, reference);

DROP INDEX documents_order;
CREATE INDEX documents_order ON documents (order_id, seq);
CREATE INDEX documents_unnumbered ON documents (seq) WHERE number IS NULL;

-- An issued document is never edited (a correction is a credit note),
-- except that its number is set, once.
CREATE OR REPLACE FUNCTION documents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.number IS NULL AND NEW.number IS NOT NULL
		AND to_jsonb(OLD) - 'number' = to_jsonb(NEW) - 'number' THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'documents are immutable';
END
$$;

CREATE TRIGGER documents_no_change BEFORE UPDATE OR DELETE ON documents
	FOR EACH ROW EXECUTE FUNCTION documents_immutable();
