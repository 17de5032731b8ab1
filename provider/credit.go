package provider

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// CreditPolicy is a merchant's credit policy as the API and the command
// line show and take it (docs/credit.md): its settings, and the payment
// terms of its invoice settings.
type CreditPolicy struct {
	risk.Settings
	// PaymentTerms is invoice.Settings.PaymentTerms, in days: one value,
	// which PUT /v1/invoice-settings sets too, and the later write wins.
	// Shown always; taken when given, and left as it is when not.
	PaymentTerms *int `json:"paymentTerms"`
	// Version counts the merchant's changes of its policy, 0 before the
	// first; UpdatedAt is the last one's time. Both are shown, and ignored
	// when taken, so that a policy read can be edited and set again.
	Version   int64      `json:"version"`
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
}

// merchantCredit is what the merchant's credit decisions follow: its
// settings (the defaults without a policy), their version and time, and
// the deployment's policy with them applied.
type merchantCredit struct {
	settings risk.Settings
	version  int64
	updated  time.Time // zero without a policy
	policy   risk.Policy
}

// merchantCredit reads the merchant's credit policy.
func (s *Service) merchantCredit(ctx context.Context, tx store.ReadTx, merchantID string) (merchantCredit, error) {
	p, err := tx.CreditPolicy(ctx, merchantID)
	if err != nil {
		return merchantCredit{}, err
	}
	return s.creditUnder(p)
}

// creditUnder is what the merchant's credit decisions follow under its
// stored policy p, nil when it has none.
func (s *Service) creditUnder(p *store.CreditPolicy) (merchantCredit, error) {
	var mc merchantCredit
	if p != nil {
		mc.settings, mc.version, mc.updated = p.Settings, p.Version, p.UpdatedAt
	}
	// Stored settings were checked when set: this fills in the defaults
	// of a merchant without any.
	var err error
	if mc.settings, err = mc.settings.Check(); err != nil {
		return merchantCredit{}, err
	}
	mc.policy = mc.settings.Apply(s.cfg.Risk)
	return mc, nil
}

// CreditPolicy returns the merchant's credit policy; a merchant that has
// set none has the defaults, at version 0.
func (s *Service) CreditPolicy(ctx context.Context, tx store.ReadTx, merchantID string) (*CreditPolicy, error) {
	if _, err := tx.Merchant(ctx, merchantID); err != nil {
		return nil, err
	}
	mc, err := s.merchantCredit(ctx, tx, merchantID)
	if err != nil {
		return nil, err
	}
	inv, err := tx.InvoiceSettings(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	terms := inv.Terms()
	v := &CreditPolicy{Settings: mc.settings, PaymentTerms: &terms, Version: mc.version}
	if mc.version > 0 {
		v.UpdatedAt = &mc.updated
	}
	return v, nil
}

// PutCreditPolicy replaces the merchant's credit policy with in, which
// applies to decisions from then on, and sets its invoice settings'
// payment terms when in gives them. Company IDs are normalized as a
// buyer's are. Nothing is written unless all of in is valid.
func (s *Service) PutCreditPolicy(ctx context.Context, tx store.Tx, merchantID string, in CreditPolicy) (*CreditPolicy, error) {
	if _, err := tx.Merchant(ctx, merchantID); err != nil {
		return nil, err
	}
	set := in.Settings
	set.Companies = append([]risk.CompanySettings(nil), set.Companies...)
	for i := range set.Companies {
		set.Companies[i].CompanyID = session.NormalizeCompanyID(set.Companies[i].CompanyID)
	}
	set.Blocklist = append([]string(nil), set.Blocklist...)
	for i := range set.Blocklist {
		set.Blocklist[i] = session.NormalizeCompanyID(set.Blocklist[i])
	}
	set, err := set.Check()
	if err != nil {
		return nil, err
	}
	if set.Provider == risk.ProviderCreditService && s.cfg.CreditService == nil {
		return nil, kassa.Invalid("decisionProvider", "decisionProvider %q needs a credit service, and this deployment has none (kassa serve --credit-service-url)", risk.ProviderCreditService)
	}
	inv, err := tx.InvoiceSettings(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	if in.PaymentTerms != nil {
		inv.PaymentTerms = *in.PaymentTerms
		if err := s.PutInvoiceSettings(ctx, tx, merchantID, inv); err != nil {
			return nil, err
		}
	}
	now := s.clock.Now()
	version, err := tx.PutCreditPolicy(ctx, merchantID, set, now)
	if err != nil {
		return nil, err
	}
	terms := inv.Terms()
	return &CreditPolicy{Settings: set, PaymentTerms: &terms, Version: version, UpdatedAt: &now}, nil
}

// credit is one credit decision to make.
type credit struct {
	// kind is store.DecisionAuthorization or DecisionOrderEdit, whose
	// decisions are recorded, or KindAssessment.
	kind      string
	line      store.CreditLine
	sessionID string // its own hold is left out of the exposure
	orderID   string
	amount    int64
}

// assess locks c's credit line and decides c against the line's
// exposure, under the merchant's policy, by its provider: the rules, or
// the deployment's credit service when the policy says so. It records the
// decision of an authorization or an edit in tx. An edit that needs a
// signatory is recorded as rejected: an order cannot wait for one.
func (s *Service) assess(ctx context.Context, tx store.Tx, c credit, now time.Time) (risk.Decision, error) {
	if err := tx.LockCreditLine(ctx, c.line); err != nil {
		return risk.Decision{}, err
	}
	st, err := tx.CreditStanding(ctx, c.line, now, c.sessionID)
	if err != nil {
		return risk.Decision{}, err
	}
	exposure := st.Exposure
	mc, err := s.creditUnder(st.Policy)
	if err != nil {
		return risk.Decision{}, err
	}
	r := CreditRequest{
		Kind: c.kind, MerchantID: c.line.MerchantID, SessionID: c.sessionID, OrderID: c.orderID,
		CompanyID: c.line.CompanyID, Currency: c.line.Currency, Amount: c.amount, Exposure: exposure,
		PolicyVersion: mc.version, policy: mc.policy,
	}
	var p CreditProvider = Rules{}
	if mc.settings.Provider == risk.ProviderCreditService {
		inv, err := tx.InvoiceSettings(ctx, c.line.MerchantID)
		if err != nil {
			return risk.Decision{}, err
		}
		r.PaymentTerms, p = inv.Terms(), s.cfg.CreditService
	}
	v, by, why, err := decide(ctx, p, mc.settings.Provider, r)
	if err != nil || c.kind == KindAssessment {
		return v.Decision, err
	}
	rec := &store.CreditDecision{
		ID: s.decisionIDs.New(kassa.PrefixDecision), MerchantID: c.line.MerchantID, Kind: c.kind, SessionID: c.sessionID, OrderID: c.orderID,
		CompanyID: c.line.CompanyID, Currency: c.line.Currency, Amount: c.amount, Exposure: exposure,
		Limit: v.Limit, SignatoryAbove: v.SignatoryAbove, PolicyVersion: mc.version, Sandbox: mc.policy.TestCompanies,
		Provider: by, Outcome: v.Outcome, Rule: v.Rule, Reason: why, CreatedAt: now,
	}
	if c.kind == store.DecisionOrderEdit && v.Outcome == risk.Signatory {
		rec.Outcome, rec.Reason = risk.Rejected, "a signatory's approval is needed, which an order cannot wait for"
	}
	return v.Decision, tx.AddCreditDecision(ctx, rec)
}
