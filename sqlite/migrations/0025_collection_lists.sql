-- Listing a merchant's payment-module collections newest first, by status
-- and currency (docs/api-reference.md, Lists). The columns are written
-- with the collection's document by the same INSERT and UPDATE.
ALTER TABLE payment_collections ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_collections ADD COLUMN currency TEXT NOT NULL DEFAULT '';

-- Collections saved before this migration.
UPDATE payment_collections SET
	status = json_extract(doc, '$.status'),
	currency = json_extract(doc, '$.currency');

-- Newest first, a page at a time: the cursor is (created_at, id).
CREATE INDEX payment_collections_list ON payment_collections (merchant_id, created_at, id);
