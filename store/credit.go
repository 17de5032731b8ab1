package store

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/risk"
)

// CreditPolicy is a merchant's credit policy as stored: its settings and
// their version, 1 for the first a merchant sets and one more with each
// change.
type CreditPolicy struct {
	MerchantID string
	Version    int64
	Settings   risk.Settings
	UpdatedAt  time.Time
}

// CreditStanding is what a credit decision on a line weighs
// (CreditReader.CreditStanding).
type CreditStanding struct {
	Exposure int64
	Policy   *CreditPolicy // nil when the merchant has none
}

// Kinds of credit decision.
const (
	DecisionAuthorization = "authorization" // a buyer authorizing a payment session
	DecisionOrderEdit     = "orderEdit"     // an order edit above its authorized amount
)

// CreditDecision is the record of one credit decision: what it looked at,
// which policy and provider decided, how and by which rule. Records are
// only ever appended.
type CreditDecision struct {
	ID         string         `json:"id"`
	MerchantID string         `json:"merchantId"`
	Kind       string         `json:"kind"` // DecisionAuthorization or DecisionOrderEdit
	SessionID  string         `json:"sessionId"`
	OrderID    string         `json:"orderId,omitempty"` // an edit's order
	CompanyID  string         `json:"companyId"`
	Currency   money.Currency `json:"currency"`
	Amount     int64          `json:"amount"`   // minor units: the session's amount or the order's new total
	Exposure   int64          `json:"exposure"` // the company's other open exposure, minor units
	Limit      int64          `json:"creditLimit"`
	// SignatoryAbove is the signatory threshold the amount was held to.
	SignatoryAbove int64 `json:"signatoryAbove"`
	// PolicyVersion is the merchant's credit policy version (0: none set,
	// the deployment's defaults); Sandbox says the sandbox's test
	// companies applied.
	PolicyVersion int64     `json:"policyVersion"`
	Sandbox       bool      `json:"sandbox"`
	Provider      string    `json:"provider"` // risk.ProviderRules or risk.ProviderCreditService
	Outcome       string    `json:"outcome"`  // risk.Approved, Signatory or Rejected
	Rule          string    `json:"rule"`
	Reason        string    `json:"reason,omitempty"` // a rejection's reason, or why the credit service gave no answer
	CreatedAt     time.Time `json:"createdAt"`
}

// CreditDecisionFilter selects a merchant's credit decisions; empty
// fields match all.
type CreditDecisionFilter struct {
	CompanyID string
	Outcome   string
	// Before is a decision's ID: only decisions recorded before it are
	// listed (the next page after it).
	Before string
	Limit  int
}

// CreditReader reads credit policies and decisions.
type CreditReader interface {
	// CreditPolicy returns the merchant's policy, nil when it has none.
	CreditPolicy(ctx context.Context, merchantID string) (*CreditPolicy, error)
	// CreditStanding reads, together (in one round trip where the backend
	// can), what a credit decision on line weighs: the line's exposure at
	// t, the sum of its holds that are live at t (no expiry, or expiring
	// after t), leaving out session except's, and the merchant's policy as
	// CreditPolicy reads it. After LockCreditLine it sees the holds
	// committed once the lock is taken.
	CreditStanding(ctx context.Context, line CreditLine, t time.Time, except string) (*CreditStanding, error)
	// CreditDecisions lists up to f.Limit of the merchant's decisions,
	// newest first; f.Before that names no decision of the merchant's is
	// ENotFound.
	CreditDecisions(ctx context.Context, merchantID string, f CreditDecisionFilter) ([]CreditDecision, error)
}

// CreditWriter writes them.
type CreditWriter interface {
	// PutCreditPolicy stores s as the merchant's policy and returns its
	// version, one more than the last (1 for the first).
	PutCreditPolicy(ctx context.Context, merchantID string, s risk.Settings, at time.Time) (version int64, err error)
	// AddCreditDecision appends a decision's record.
	AddCreditDecision(ctx context.Context, d *CreditDecision) error
}
