-- A sandbox merchant's test clock: how far its time runs ahead of the
-- wall clock. No row is no offset; live mode never writes one.
CREATE TABLE test_clocks (
	merchant_id text PRIMARY KEY,
	offset_us   bigint NOT NULL CHECK (offset_us >= 0)
);

-- When an order's expiry is to be recorded (an expire event): its
-- expiresAt while it has lines uncaptured and that expiry is not recorded
-- yet, else NULL. Only those orders are indexed, as for ready_at.
ALTER TABLE orders ADD COLUMN expire_at bigint;

UPDATE orders SET expire_at = (extract(epoch FROM (doc ->> 'expiresAt')::timestamptz) * 1000000)::bigint
WHERE doc -> 'uncaptured' IS NOT NULL AND json_typeof(doc -> 'uncaptured') <> 'null';

CREATE INDEX orders_due_expiry ON orders (expire_at, id) WHERE expire_at IS NOT NULL;
