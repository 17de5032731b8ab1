// Package risk is the deterministic credit and fraud assessment that
// decides a buyer's authorization. Its rules, and the sandbox's test
// companies that force each outcome, are documented in docs/sandbox.md.
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

// Test company IDs that force an outcome whatever the amount, when the
// policy's TestCompanies is set (in the sandbox). Otherwise they are
// assessed like any other company.
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
// whether the test companies apply. The zero Policy is not usable; start
// from DefaultPolicy.
type Policy struct {
	SignatoryAbove int64 // amounts above need a signatory
	CreditLimit    int64 // a company's open exposure plus the amount may not exceed it
	// TestCompanies gives the test companies their forced outcomes:
	// BlockedCompany is blocklisted, SignatoryCompany always needs a
	// signatory, ManualReviewCompany is approved after manual review
	// advice, and LowLimitCompany's credit limit is LowCreditLimit. Live
	// mode turns it off, so that a real company with one of these IDs is
	// assessed by the rules alone.
	TestCompanies bool
}

// DefaultPolicy is the sandbox's policy: its thresholds are live mode's
// too, which turns TestCompanies off.
var DefaultPolicy = Policy{
	SignatoryAbove: 250_000,
	CreditLimit:    1_000_000,
	TestCompanies:  true,
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
	limit := p.CreditLimit
	if p.test(companyID, LowLimitCompany) {
		limit = LowCreditLimit
	}
	return limit * scale(c)
}

// Assess decides, the same way every time for the same input. The rules
// apply in order and the first that matches decides: blocked company,
// credit limit, signatory company, signatory amount, manual review
// company; the test companies' rules apply only with TestCompanies.
func (p Policy) Assess(in Input) Decision {
	var tags []string
	if in.Exposure > 0 {
		tags = append(tags, TagOpenExposure)
	}
	with := func(t ...string) []string { return append(slices.Clone(tags), t...) }
	switch {
	case p.test(in.CompanyID, BlockedCompany):
		return Decision{Outcome: Rejected, Tags: []string{TagBlocklisted}, Reason: "the company cannot be offered invoice payment"}
	case in.Amount > p.Limit(in.CompanyID, in.Currency)-in.Exposure:
		return Decision{Outcome: Rejected, Tags: with(TagCreditLimitExceeded), Reason: "the amount exceeds the company's credit limit"}
	case p.test(in.CompanyID, SignatoryCompany):
		return Decision{Outcome: Signatory, Tags: with(TagSignatoryRequired)}
	case in.Amount > p.SignatoryAbove*scale(in.Currency):
		return Decision{Outcome: Signatory, Tags: with(TagSignatoryRequired, TagLargeAmount)}
	case p.test(in.CompanyID, ManualReviewCompany):
		return Decision{Outcome: Approved, Tags: with(TagManualReview), Forced: true}
	}
	if tags == nil {
		tags = []string{}
	}
	return Decision{Outcome: Approved, Tags: tags}
}

// test says whether companyID is the test company testID and the policy
// applies the test companies.
func (p Policy) test(companyID, testID string) bool {
	return p.TestCompanies && companyID == testID
}

// scale is 10^digits of c: major units to minor units.
func scale(c money.Currency) int64 {
	s := int64(1)
	for range c.Digits() {
		s *= 10
	}
	return s
}
