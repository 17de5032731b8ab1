// Package risk is the deterministic credit and fraud assessment that
// decides a buyer's authorization. Its sandbox rules are documented in
// docs/compatibility.md so integrators can force every outcome.
package risk

import (
	"github.com/kassa-pay/kassa/money"
)

// Outcomes of an assessment.
const (
	Approved  = "approved"
	Signatory = "signatory" // a company signatory must approve first
	Rejected  = "rejected"
)

// Sandbox company IDs that force an outcome whatever the amount.
const (
	BlockedCompany      = "556000-0000"
	SignatoryCompany    = "556000-0001"
	ManualReviewCompany = "556000-0002"
)

// Policy holds the amount thresholds, in major units of any currency.
type Policy struct {
	SignatoryAbove int64 // amounts above need a signatory
	RejectAbove    int64 // amounts above exceed any credit limit
}

// DefaultPolicy is the sandbox policy.
var DefaultPolicy = Policy{SignatoryAbove: 250_000, RejectAbove: 1_000_000}

// Input is what an assessment looks at.
type Input struct {
	CompanyID string
	Amount    int64 // minor units
	Currency  money.Currency
}

// Decision is an assessment's result. Tags end up in the order's
// riskProfile; Reason explains a rejection to the buyer.
type Decision struct {
	Outcome string
	Tags    []string
	Forced  bool // approved after manual review advice ("forced")
	Reason  string
}

// Assess decides, the same way every time for the same input.
func (p Policy) Assess(in Input) Decision {
	scale := int64(1)
	for range in.Currency.Digits() {
		scale *= 10
	}
	switch {
	case in.CompanyID == BlockedCompany:
		return Decision{Outcome: Rejected, Tags: []string{"blocklisted"}, Reason: "the company cannot be offered invoice payment"}
	case in.Amount > p.RejectAbove*scale:
		return Decision{Outcome: Rejected, Tags: []string{"creditLimitExceeded"}, Reason: "the amount exceeds the company's credit limit"}
	case in.CompanyID == SignatoryCompany:
		return Decision{Outcome: Signatory, Tags: []string{"signatoryRequired"}}
	case in.Amount > p.SignatoryAbove*scale:
		return Decision{Outcome: Signatory, Tags: []string{"signatoryRequired", "largeAmount"}}
	case in.CompanyID == ManualReviewCompany:
		return Decision{Outcome: Approved, Tags: []string{"manualReview"}, Forced: true}
	}
	return Decision{Outcome: Approved, Tags: []string{}}
}
