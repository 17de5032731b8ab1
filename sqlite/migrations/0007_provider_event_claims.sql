-- A webhook event is claimed by the delivery applying it until
-- claimed_until (unix microseconds; 0: nobody applies it now), so a
-- concurrent duplicate delivery waits for its outcome instead of applying
-- it a second time, and a claim whose process died ends by itself.

ALTER TABLE provider_events ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;
