-- Notification endpoints' secret rotation and health, and merchants'
-- contact address (docs/notifications.md).
--
-- Times are unix microseconds, 0 for never. A rotation keeps the secret
-- it replaced, sealed like the current one, in previous_secret; it signs
-- deliveries as well until previous_until. failing_since is the first
-- failed attempt since the endpoint last answered a success; an endpoint
-- with disabled_at is sent nothing until its merchant enables it again,
-- and disabled_reason says why it was disabled ('gone', 'failing').
-- A merchant's email is where Kassa writes to it, '' for nowhere.

ALTER TABLE notification_endpoints ADD COLUMN rotated_at bigint NOT NULL DEFAULT 0;
ALTER TABLE notification_endpoints ADD COLUMN previous_secret text NOT NULL DEFAULT '';
ALTER TABLE notification_endpoints ADD COLUMN previous_until bigint NOT NULL DEFAULT 0;
ALTER TABLE notification_endpoints ADD COLUMN failing_since bigint NOT NULL DEFAULT 0;
ALTER TABLE notification_endpoints ADD COLUMN disabled_at bigint NOT NULL DEFAULT 0;
ALTER TABLE notification_endpoints ADD COLUMN disabled_reason text NOT NULL DEFAULT '';

ALTER TABLE merchants ADD COLUMN email text NOT NULL DEFAULT '';
