// Package risk is the deterministic credit and fraud assessment that
// decides a buyer's authorization, and the credit policy a merchant sets
// for it (Settings). Its rules, and the sandbox's test companies that
// force each outcome, are documented in docs/sandbox.md and docs/credit.md.
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

// Rules name which rule decided (Verdict.Rule), in the order Decide
// applies them.
const (
	RuleOrderEdit          = "orderEditAboveAuthorized" // the merchant refuses edits above the authorized amount
	RuleBlocked            = "blocked"                  // the merchant blocked the company
	RuleTestCompany        = "testCompany"              // a sandbox test company's forced outcome
	RuleCreditLimit        = "creditLimit"              // exposure + amount above the limit
	RuleSignatoryThreshold = "signatoryThreshold"       // amount above the signatory threshold
	RuleWithinPolicy       = "withinPolicy"             // no rule objected
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

// Policy holds the amount thresholds and whether the test companies
// apply. SignatoryAbove and CreditLimit are in major units of any currency
// and apply where the merchant's own choices (Limits, SignatoryLimits,
// Companies; see Settings.Apply) name no amount for the currency. The
// zero Policy is not usable; start from DefaultPolicy.
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

	// Limits is the credit limit per buyer company, in minor units of
	// each currency it names.
	Limits map[money.Currency]int64
	// SignatoryLimits is the signatory threshold in minor units of each
	// currency it names.
	SignatoryLimits map[money.Currency]int64
	// Companies holds what the merchant set for single companies, by
	// company ID: a limit of their own, or blocked.
	Companies map[string]Company
	// RefuseEdits refuses an order edit above the authorized amount
	// instead of assessing its new total.
	RefuseEdits bool
}

// Company is what a policy sets for one buyer company.
type Company struct {
	Limits  map[money.Currency]int64 // minor units; other currencies: the policy's limit
	Blocked bool                     // every authorization is rejected
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
// uncaptured and invoiced-unpaid order amounts plus live authorizations
// that have no order yet.
type Input struct {
	CompanyID string
	Amount    int64 // minor units
	Currency  money.Currency
	Exposure  int64 // minor units
	// Edit says Amount is an order's new total, above what was
	// authorized for it.
	Edit bool
}

// Decision is an assessment's result. Tags end up in the order's
// riskProfile; Reason explains a rejection to the buyer.
type Decision struct {
	Outcome string
	Tags    []string
	Forced  bool // approved after manual review advice ("forced")
	Reason  string
}

// Verdict is a decision with what the record of it needs: the rule that
// decided and the amounts it was held to.
type Verdict struct {
	Decision
	Rule           string
	Limit          int64 // the company's credit limit, minor units
	SignatoryAbove int64 // the signatory threshold, minor units
}

// Reasons a rejection gives the buyer.
const (
	reasonEdit    = "the merchant's credit policy refuses a total above the authorized amount; create a new payment session for it"
	reasonBlocked = "the company cannot be offered invoice payment"
	reasonLimit   = "the amount exceeds the company's credit limit"
)

// Limit is the company's credit limit in minor units of c.
func (p Policy) Limit(companyID string, c money.Currency) int64 {
	if p.test(companyID, LowLimitCompany) {
		return LowCreditLimit * scale(c)
	}
	if l, ok := p.Companies[companyID].Limits[c]; ok {
		return l
	}
	if l, ok := p.Limits[c]; ok {
		return l
	}
	return p.CreditLimit * scale(c)
}

// Signatory is the signatory threshold in minor units of c: amounts above
// it need a signatory.
func (p Policy) Signatory(c money.Currency) int64 {
	if l, ok := p.SignatoryLimits[c]; ok {
		return l
	}
	return p.SignatoryAbove * scale(c)
}

// Assess decides, the same way every time for the same input (Decide).
func (p Policy) Assess(in Input) Decision { return p.Decide(in).Decision }

// Decide decides, the same way every time for the same input, and says
// which rule did. The rules apply in order and the first that matches
// decides: an edit the policy refuses, blocked company (the blocked test
// company, or one the merchant blocked), credit limit, signatory company,
// signatory amount, manual review company; the test companies' rules
// apply only with TestCompanies.
func (p Policy) Decide(in Input) Verdict {
	v := Verdict{Limit: p.Limit(in.CompanyID, in.Currency), SignatoryAbove: p.Signatory(in.Currency)}
	var tags []string
	if in.Exposure > 0 {
		tags = append(tags, TagOpenExposure)
	}
	with := func(t ...string) []string { return append(slices.Clone(tags), t...) }
	blocked := []string{TagBlocklisted}
	switch {
	case in.Edit && p.RefuseEdits:
		v.Decision, v.Rule = Decision{Outcome: Rejected, Tags: append([]string{}, tags...), Reason: reasonEdit}, RuleOrderEdit
	case p.test(in.CompanyID, BlockedCompany):
		v.Decision, v.Rule = Decision{Outcome: Rejected, Tags: blocked, Reason: reasonBlocked}, RuleTestCompany
	case p.Companies[in.CompanyID].Blocked:
		v.Decision, v.Rule = Decision{Outcome: Rejected, Tags: blocked, Reason: reasonBlocked}, RuleBlocked
	case in.Amount > v.Limit-in.Exposure:
		v.Decision, v.Rule = Decision{Outcome: Rejected, Tags: with(TagCreditLimitExceeded), Reason: reasonLimit}, RuleCreditLimit
	case p.test(in.CompanyID, SignatoryCompany):
		v.Decision, v.Rule = Decision{Outcome: Signatory, Tags: with(TagSignatoryRequired)}, RuleTestCompany
	case in.Amount > v.SignatoryAbove:
		v.Decision, v.Rule = Decision{Outcome: Signatory, Tags: with(TagSignatoryRequired, TagLargeAmount)}, RuleSignatoryThreshold
	case p.test(in.CompanyID, ManualReviewCompany):
		v.Decision, v.Rule = Decision{Outcome: Approved, Tags: with(TagManualReview), Forced: true}, RuleTestCompany
	default:
		if tags == nil {
			tags = []string{}
		}
		v.Decision, v.Rule = Decision{Outcome: Approved, Tags: tags}, RuleWithinPolicy
	}
	return v
}

// Stricter reports whether outcome a refuses more than b: rejected is
// stricter than signatory, which is stricter than approved.
func Stricter(a, b string) bool { return severity(a) > severity(b) }

func severity(outcome string) int {
	switch outcome {
	case Rejected:
		return 2
	case Signatory:
		return 1
	}
	return 0
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
