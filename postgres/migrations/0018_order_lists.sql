-- Listing and searching a merchant's orders (docs/api-reference.md, Lists).
--
-- The columns are written with the order's document by the same INSERT
-- and UPDATE, so saving an order takes no more statements than before:
-- status is its payment status (order.PaymentStatus); the search_
-- columns hold what GET /v1/orders?q= matches by prefix, case folded
-- (Unicode lower case) and trimmed; search_org is the organisation
-- number with its separators removed. They collate "C" (code point
-- order), so that a prefix is a range of their indexes.
ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN search_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN search_reference text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN search_order_reference text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN search_company text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN search_org text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN search_email text COLLATE "C" NOT NULL DEFAULT '';

-- Orders saved before this migration.
UPDATE orders SET
	status = CASE
		WHEN captured > 0 AND refunded >= captured THEN 'orderRefunded'
		WHEN json_typeof(doc -> 'captured') = 'array' AND json_array_length(doc -> 'captured') > 0 THEN 'orderCaptured'
		WHEN json_typeof(doc -> 'uncaptured') IS DISTINCT FROM 'object' THEN 'orderCancelled'
		WHEN (doc ->> 'ready')::boolean THEN 'paymentConfirmed'
		ELSE 'paymentPending'
	END,
	currency = doc ->> 'currency',
	search_id = lower(id),
	search_reference = lower(btrim(coalesce(doc ->> 'reference', ''))),
	search_order_reference = lower(btrim(coalesce(doc ->> 'orderReference', ''))),
	search_company = lower(btrim(coalesce(doc -> 'customer' ->> 'companyName', ''))),
	search_org = lower(replace(replace(coalesce(doc -> 'customer' ->> 'companyId', ''), '-', ''), ' ', '')),
	search_email = lower(btrim(coalesce(doc -> 'customer' ->> 'email', '')));

-- Newest first, a page at a time: the cursor is (created_at, id).
CREATE INDEX orders_list ON orders (merchant_id, created_at, id);
CREATE INDEX orders_status ON orders (merchant_id, status, created_at, id);
-- One index per searched field: a prefix is a range of each.
CREATE INDEX orders_search_id ON orders (merchant_id, search_id);
CREATE INDEX orders_search_reference ON orders (merchant_id, search_reference);
CREATE INDEX orders_search_order_reference ON orders (merchant_id, search_order_reference);
CREATE INDEX orders_search_company ON orders (merchant_id, search_company);
CREATE INDEX orders_search_org ON orders (merchant_id, search_org);
CREATE INDEX orders_search_email ON orders (merchant_id, search_email);
-- The overdue filter looks up an order's documents that ask for payment.
CREATE INDEX documents_order_payable ON documents (order_id, due_at) WHERE payable > 0;
