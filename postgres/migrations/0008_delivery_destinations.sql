-- Deliveries name their destination (notify.Destination: the merchant
-- and the URL's origin), so that the dispatcher can cap the attempts in
-- flight to each one and share its slots fairly: a receiver that hangs
-- holds a few of them, not all.
--
-- Rows written before this migration are grouped by their whole URL
-- instead: SQL cannot cut out the origin the way Go does. For an endpoint
-- that is the same thing; session URLs that differ only in their path
-- count as separate destinations until those rows are done.

ALTER TABLE notification_deliveries ADD COLUMN destination text NOT NULL DEFAULT '';
UPDATE notification_deliveries SET destination = merchant_id || ' ' || url;

-- Due deliveries are ranked per destination when claimed.
CREATE INDEX notification_deliveries_destination ON notification_deliveries (destination, next_at) WHERE state = 'pending';
-- Claimed deliveries (few: those in flight) are counted per destination.
CREATE INDEX notification_deliveries_claimed ON notification_deliveries (destination) WHERE claim <> '';
