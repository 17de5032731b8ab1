-- Credit exposure per buyer company. credit_lines has one row per
-- (merchant, company, currency) that every authorization updates first:
-- the row lock serializes authorizations of the same company, on SQLite
-- and on PostgreSQL alike. credit_holds has one row per payment session
-- that draws on a line (authorized, awaiting a signatory, or an order).
CREATE TABLE credit_lines (
	merchant_id TEXT NOT NULL,
	company_id  TEXT NOT NULL,
	currency    TEXT NOT NULL,
	version     INTEGER NOT NULL,
	PRIMARY KEY (merchant_id, company_id, currency)
) STRICT;

CREATE TABLE credit_holds (
	session_id  TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	company_id  TEXT NOT NULL,
	currency    TEXT NOT NULL,
	amount      INTEGER NOT NULL CHECK (amount > 0),
	expires_at  INTEGER NOT NULL -- unix microseconds; 0 for no expiry
) STRICT;

CREATE INDEX credit_holds_line ON credit_holds (merchant_id, company_id, currency);
