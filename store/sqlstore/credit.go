package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/store"
)

func (t *Tx) CreditPolicy(ctx context.Context, merchantID string) (*store.CreditPolicy, error) {
	var r policyRow
	err := t.c.QueryRow(ctx, []any{&r.version, &r.doc, &r.micros}, selectCreditPolicy, merchantID)
	if errors.Is(err, ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, readErr(err, "credit policy")
	}
	return r.policy(merchantID)
}

// selectCreditPolicy reads merchant $1's policy row (policyRow).
const selectCreditPolicy = `SELECT version, doc, updated_at FROM credit_policies WHERE merchant_id = $1`

// policyRow is a credit policy's row as read.
type policyRow struct {
	doc             string
	version, micros int64
}

func (r policyRow) policy(merchantID string) (*store.CreditPolicy, error) {
	p := &store.CreditPolicy{MerchantID: merchantID, Version: r.version, UpdatedAt: fromMicros(r.micros)}
	if err := unmarshal(r.doc, &p.Settings); err != nil {
		return nil, fmt.Errorf("decode credit policy: %w", err)
	}
	return p, nil
}

// CreditStanding sends the exposure's read and the policy's together, in
// that order: on PostgreSQL the line's lock, when it was just taken, goes
// ahead of both in the same batch, and each statement sees what committed
// before it ran.
func (t *Tx) CreditStanding(ctx context.Context, l store.CreditLine, at time.Time, except string) (*store.CreditStanding, error) {
	var (
		st    store.CreditStanding
		r     policyRow
		found bool
	)
	err := t.c.Queries(ctx, Query{
		SQL: `SELECT COALESCE(SUM(amount), 0) FROM credit_holds
			WHERE merchant_id = $1 AND company_id = $2 AND currency = $3
			AND (expires_at = 0 OR expires_at > $4) AND session_id <> $5`,
		Args: []any{l.MerchantID, l.CompanyID, string(l.Currency), at.UnixMicro(), except},
		Scan: func(rows Scanner) error { return rows.Scan(&st.Exposure) },
	}, Query{
		SQL:  selectCreditPolicy,
		Args: []any{l.MerchantID},
		Scan: func(rows Scanner) error { found = true; return rows.Scan(&r.version, &r.doc, &r.micros) },
	})
	if err != nil {
		return nil, readErr(err, "credit exposure and policy")
	}
	if found {
		if st.Policy, err = r.policy(l.MerchantID); err != nil {
			return nil, err
		}
	}
	return &st, nil
}

// PutCreditPolicy numbers the version in the upsert itself, whose row
// lock makes concurrent changes of one merchant's policy take turns.
func (t *Tx) PutCreditPolicy(ctx context.Context, merchantID string, s risk.Settings, at time.Time) (int64, error) {
	doc, err := json.Marshal(s)
	if err != nil {
		return 0, fmt.Errorf("encode credit policy: %w", err)
	}
	var version int64
	err = t.c.QueryRow(ctx, []any{&version}, `INSERT INTO credit_policies (merchant_id, version, doc, updated_at) VALUES ($1, 1, $2, $3)
		ON CONFLICT (merchant_id) DO UPDATE SET version = credit_policies.version + 1, doc = excluded.doc, updated_at = excluded.updated_at
		RETURNING version`, merchantID, string(doc), at.UnixMicro())
	return version, t.writeErr(err, "credit policy")
}

func (t *Tx) AddCreditDecision(ctx context.Context, d *store.CreditDecision) error {
	sandbox := 0
	if d.Sandbox {
		sandbox = 1
	}
	return t.writeLater(ctx, "credit decision "+d.ID, `INSERT INTO credit_decisions
		(id, merchant_id, kind, session_id, order_id, company_id, currency, amount, exposure, credit_limit, signatory_above,
		 policy_version, sandbox, provider, outcome, rule, reason, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		d.ID, d.MerchantID, d.Kind, d.SessionID, d.OrderID, d.CompanyID, string(d.Currency), d.Amount, d.Exposure, d.Limit, d.SignatoryAbove,
		d.PolicyVersion, sandbox, d.Provider, d.Outcome, d.Rule, d.Reason, d.CreatedAt.UnixMicro())
}

// CreditDecisions pages by seq, the order decisions were recorded in; a
// page starts after the decision f.Before names, looked up first so that
// a cursor of another merchant's is not found.
func (t *Tx) CreditDecisions(ctx context.Context, merchantID string, f store.CreditDecisionFilter) ([]store.CreditDecision, error) {
	if f.Limit <= 0 {
		return nil, nil
	}
	var before int64 = -1 // no cursor
	if f.Before != "" {
		err := t.c.QueryRow(ctx, []any{&before}, `SELECT seq FROM credit_decisions WHERE `+byID, f.Before, merchantID)
		if err != nil {
			return nil, readErr(err, "credit decision "+f.Before)
		}
	}
	var ds []store.CreditDecision
	err := t.c.Query(ctx, func(rows Scanner) error {
		var (
			d                store.CreditDecision
			currency         string
			sandbox, created int64
		)
		if err := rows.Scan(&d.ID, &d.MerchantID, &d.Kind, &d.SessionID, &d.OrderID, &d.CompanyID, &currency, &d.Amount, &d.Exposure,
			&d.Limit, &d.SignatoryAbove, &d.PolicyVersion, &sandbox, &d.Provider, &d.Outcome, &d.Rule, &d.Reason, &created); err != nil {
			return err
		}
		d.Currency, d.Sandbox, d.CreatedAt = money.Currency(currency), sandbox == 1, fromMicros(created)
		ds = append(ds, d)
		return nil
	}, `SELECT id, merchant_id, kind, session_id, order_id, company_id, currency, amount, exposure, credit_limit, signatory_above,
			policy_version, sandbox, provider, outcome, rule, reason, created_at
		FROM credit_decisions
		WHERE merchant_id = $1 AND ($2 = '' OR company_id = $2) AND ($3 = '' OR outcome = $3) AND ($4 < 0 OR seq < $4)
		ORDER BY seq DESC LIMIT $5`,
		merchantID, f.CompanyID, f.Outcome, before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list credit decisions: %w", err)
	}
	return ds, nil
}
