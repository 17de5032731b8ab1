-- The SQLite store's 0007: a webhook event is claimed by the delivery
-- applying it until claimed_until (unix microseconds; 0: nobody applies
-- it now).

ALTER TABLE provider_events ADD COLUMN claimed_until bigint NOT NULL DEFAULT 0;
