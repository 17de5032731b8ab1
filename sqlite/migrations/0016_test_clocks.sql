-- A sandbox merchant's test clock: how far its time runs ahead of the
-- wall clock. No row is no offset; live mode never writes one.
CREATE TABLE test_clocks (
	merchant_id TEXT PRIMARY KEY,
	offset_us   INTEGER NOT NULL CHECK (offset_us >= 0)
) STRICT;

-- When an order's expiry is to be recorded (an expire event): its
-- expiresAt while it has lines uncaptured and that expiry is not recorded
-- yet, else NULL. Only those orders are indexed, as for ready_at.
ALTER TABLE orders ADD COLUMN expire_at INTEGER;

UPDATE orders SET expire_at = CAST(round((julianday(json_extract(doc, '$.expiresAt')) - 2440587.5) * 86400000000) AS INTEGER)
WHERE json_extract(doc, '$.uncaptured') IS NOT NULL;

CREATE INDEX orders_due_expiry ON orders (expire_at, id) WHERE expire_at IS NOT NULL;
