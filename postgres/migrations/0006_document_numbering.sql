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
-- except that its number is set, once. Column lists and WHEN conditions
-- keep the numbering update from calling a function.
DROP FUNCTION documents_immutable();

CREATE FUNCTION documents_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'documents are immutable';
END
$$;

CREATE TRIGGER documents_no_update
	BEFORE UPDATE OF seq, id, merchant_id, order_id, ledger_id, kind, reference, refers_to,
		payment_reference, access_token, payable, due_at, doc, created_at ON documents
	FOR EACH ROW EXECUTE FUNCTION documents_refuse();

CREATE TRIGGER documents_number_once BEFORE UPDATE OF number ON documents
	FOR EACH ROW WHEN (OLD.number IS NOT NULL OR NEW.number IS NULL)
	EXECUTE FUNCTION documents_refuse();

CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
	FOR EACH ROW EXECUTE FUNCTION documents_refuse();
