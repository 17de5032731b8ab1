-- Credit policies per merchant, and the record of every credit decision.

-- One row per merchant that has set a policy: its settings (risk.Settings
-- as JSON) and their version, bumped by each change.
CREATE TABLE credit_policies (
	merchant_id TEXT PRIMARY KEY,
	version     INTEGER NOT NULL,
	doc         TEXT NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

-- One row per credit decision, with what it looked at and how it was
-- decided; seq orders them as they were recorded.
CREATE TABLE credit_decisions (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT,
	id              TEXT NOT NULL UNIQUE,
	merchant_id     TEXT NOT NULL,
	kind            TEXT NOT NULL,
	session_id      TEXT NOT NULL,
	order_id        TEXT NOT NULL, -- '' for an authorization
	company_id      TEXT NOT NULL,
	currency        TEXT NOT NULL,
	amount          INTEGER NOT NULL,
	exposure        INTEGER NOT NULL,
	credit_limit    INTEGER NOT NULL,
	signatory_above INTEGER NOT NULL,
	policy_version  INTEGER NOT NULL, -- 0: the merchant had none
	sandbox         INTEGER NOT NULL CHECK (sandbox IN (0, 1)),
	provider        TEXT NOT NULL,
	outcome         TEXT NOT NULL,
	rule            TEXT NOT NULL,
	reason          TEXT NOT NULL,
	created_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX credit_decisions_merchant ON credit_decisions (merchant_id, seq);
CREATE INDEX credit_decisions_company ON credit_decisions (merchant_id, company_id, seq);

-- The record of decisions is evidence: it is only ever appended to.
CREATE TRIGGER credit_decisions_no_update BEFORE UPDATE ON credit_decisions
BEGIN
	SELECT RAISE(ABORT, 'credit_decisions is append-only');
END;

CREATE TRIGGER credit_decisions_no_delete BEFORE DELETE ON credit_decisions
BEGIN
	SELECT RAISE(ABORT, 'credit_decisions is append-only');
END;
