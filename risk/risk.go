// Package risk is the deterministic credit and fraud assessment that
// decides a buyer's authorization. Its rules, and the sandbox values that
// force each outcome, are documented in docs/sandbox.md.
package risk

import (
	"slices"

	"github.com/kassa-pay/kassa/money"
)

// Outcomes of an assessment.
const (
	Approved  = "approved"
	Signatory = "signatory" // a company signatory must approve first
	Rejected  = "rejected"
)

// Tags an assessment puts in the order's riskProfile.
const (
	TagBlocklisted         = "blocklisted"
	TagCreditLimitExceeded = "creditLimitExceeded"
	TagSignatoryRequired   = "signatoryRequired"
	TagLargeAmount         = "largeAmount"
	TagManualReview        = "manualReview"
	TagOpenExposure        = "openExposure"
)

// Sandbox company IDs that force an outcome whatever the amount.
const (
	BlockedCompany      = "556000-0000"
	SignatoryCompany    = "556000-0001"
	ManualReviewCompany = "556000-0002"
	// LowLimitCompany has a small credit limit (LowCreditLimit), so that
	// open exposure can be seen turning an approval into a rejection.
	LowLimitCompany = "556000-0003"
)

// LowCreditLimit is LowLimitCompany's credit limit in major units.
const LowCreditLimit = 10_000

// Policy holds the amount thresholds, in major units of any currency, and
// the blocklist. The zero Policy is not usable; start from DefaultPolicy.
type Policy struct {
	SignatoryAbove int64 // amounts above need a signatory
	CreditLimit    int64 // a company's open exposure plus the amount may not exceed it
	// CompanyLimits overrides CreditLimit for some companies.
	CompanyLimits map[string]int64
	// Blocklist holds company IDs that are never offered invoice payment.
	Blocklist []string
}

// DefaultPolicy is the sandbox policy.
var DefaultPolicy = Policy{
	SignatoryAbove: 250_000,
	CreditLimit:    1_000_000,
	CompanyLimits:  map[string]int64{LowLimitCompany: LowCreditLimit},
	Blocklist:      []string{BlockedCompany},
}

// Input is what an assessment looks at. Exposure is what the company
// already owes or has been granted at this merchant in this currency:
// uncaptured and captured-unpaid order amounts plus live authorizations
// that have no order yet.
type Input struct {
	CompanyID string
	Amount    int64 // minor units
	Currency  money.Currency
	Exposure  int64 // minor units
}

// Decision is an assessment's result. Tags end up in the order's
// riskProfile; Reason explains a rejection to the buyer.
type Decision struct {
	Outcome string
	Tags    []string
	Forced  bool // approved after manual review advice ("forced")
	Reason  string
}

// Limit is the company's credit limit in minor units of c.
func (p Policy) Limit(companyID string, c money.Currency) int64 {
	limit, ok := p.CompanyLimits[companyID]
	if !ok {
		limit = p.CreditLimit
	}
	return limit * scale(c)
}

// Assess decides, the same way every time for the same input. The rules
// apply in order and the first that matches decides: blocklist, credit
// limit, signatory company, signatory amount, manual review.
func (p Policy) Assess(in Input) Decision {
	var tags []string
	if in.Exposure > 0 {
		tags = append(tags, TagOpenExposure)
	}
	with := func(t ...string) []string { return append(slices.Clone(tags), t...) }
	switch {
	case slices.Contains(p.Blocklist, in.CompanyID):
		return Decision{Outcome: Rejected, Tags: []string{TagBlocklisted}, Reason: "the company cannot be offered invoice payment"}
	case in.Amount > p.Limit(in.CompanyID, in.Currency)-in.Exposure:
		return Decision{Outcome: Rejected, Tags: with(TagCreditLimitExceeded), Reason: "the amount exceeds the company's credit limit"}
	case in.CompanyID == SignatoryCompany:
		return Decision{Outcome: Signatory, Tags: with(TagSignatoryRequired)}
	case in.Amount > p.SignatoryAbove*scale(in.Currency):
		return Decision{Outcome: Signatory, Tags: with(TagSignatoryRequired, TagLargeAmount)}
	case in.CompanyID == ManualReviewCompany:
		return Decision{Outcome: Approved, Tags: with(TagManualReview), Forced: true}
	}
	if tags == nil {
		tags = []string{}
	}
	return Decision{Outcome: Approved, Tags: tags}
}

// scale is 10^digits of c: major units to minor units.
func scale(c money.Currency) int64 {
	s := int64(1)
	for range c.Digits() {
		s *= 10
	}
	return s
}
