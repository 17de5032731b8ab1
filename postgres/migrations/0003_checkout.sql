-- Credit exposure per buyer company (see sqlite/migrations/0003_checkout.sql).
-- credit_lines has one row per (merchant, company, currency) that every
-- authorization upserts first: its row lock serializes authorizations of
-- one company across processes. credit_holds has one row per payment
-- session that draws on a line.
CREATE TABLE credit_lines (
	merchant_id TEXT NOT NULL,
	company_id  TEXT NOT NULL,
	currency    TEXT NOT NULL,
	version     BIGINT NOT NULL,
	PRIMARY KEY (merchant_id, company_id, currency)
);

CREATE TABLE credit_holds (
	session_id  TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	company_id  TEXT NOT NULL,
	currency    TEXT NOT NULL,
	amount      BIGINT NOT NULL CHECK (amount > 0),
	expires_at  BIGINT NOT NULL -- unix microseconds; 0 for no expiry
);

CREATE INDEX credit_holds_line ON credit_holds (merchant_id, company_id, currency);
