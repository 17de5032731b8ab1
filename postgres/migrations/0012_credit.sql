-- Credit policies per merchant, and the record of every credit decision.

-- One row per merchant that has set a policy: its settings (risk.Settings
-- as JSON) and their version, bumped by each change.
CREATE TABLE credit_policies (
	merchant_id text PRIMARY KEY,
	version     bigint NOT NULL,
	doc         text NOT NULL,
	updated_at  bigint NOT NULL
);

-- One row per credit decision, with what it looked at and how it was
-- decided; seq orders them as they were recorded.
CREATE TABLE credit_decisions (
	seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id              text NOT NULL UNIQUE,
	merchant_id     text NOT NULL,
	kind            text NOT NULL,
	session_id      text NOT NULL,
	order_id        text NOT NULL, -- '' for an authorization
	company_id      text NOT NULL,
	currency        text NOT NULL,
	amount          bigint NOT NULL,
	exposure        bigint NOT NULL,
	credit_limit    bigint NOT NULL,
	signatory_above bigint NOT NULL,
	policy_version  bigint NOT NULL, -- 0: the merchant had none
	sandbox         smallint NOT NULL CHECK (sandbox IN (0, 1)),
	provider        text NOT NULL,
	outcome         text NOT NULL,
	rule            text NOT NULL,
	reason          text NOT NULL,
	created_at      bigint NOT NULL
);

CREATE INDEX credit_decisions_merchant ON credit_decisions (merchant_id, seq);
CREATE INDEX credit_decisions_company ON credit_decisions (merchant_id, company_id, seq);

-- The record of decisions is evidence: it is only ever appended to.
CREATE FUNCTION credit_decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'credit_decisions is append-only';
END
$$;

CREATE TRIGGER credit_decisions_no_change BEFORE UPDATE OR DELETE ON credit_decisions
	FOR EACH ROW EXECUTE FUNCTION credit_decisions_append_only();
