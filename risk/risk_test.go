package risk_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/risk"
	"pgregory.net/rapid"
)

func TestAssess(t *testing.T) {
	const ordinary = "559311-3714"
	overLimit := risk.Decision{Outcome: risk.Rejected, Tags: []string{risk.TagCreditLimitExceeded}, Reason: "the amount exceeds the company's credit limit"}
	tests := []struct {
		name string
		in   risk.Input
		want risk.Decision
	}{
		{"ordinary", risk.Input{CompanyID: ordinary, Amount: 500000, Currency: "SEK"}, risk.Decision{Outcome: risk.Approved, Tags: []string{}}},
		{"at signatory threshold", risk.Input{CompanyID: ordinary, Amount: 25_000_000, Currency: "SEK"}, risk.Decision{Outcome: risk.Approved, Tags: []string{}}},
		{"above signatory threshold", risk.Input{CompanyID: ordinary, Amount: 25_000_001, Currency: "SEK"}, risk.Decision{Outcome: risk.Signatory, Tags: []string{risk.TagSignatoryRequired, risk.TagLargeAmount}}},
		{"JPY scaled by its digits", risk.Input{CompanyID: ordinary, Amount: 250_001, Currency: "JPY"}, risk.Decision{Outcome: risk.Signatory, Tags: []string{risk.TagSignatoryRequired, risk.TagLargeAmount}}},
		{"at credit limit", risk.Input{CompanyID: ordinary, Amount: 100_000_000, Currency: "SEK", Exposure: 0}, risk.Decision{Outcome: risk.Signatory, Tags: []string{risk.TagSignatoryRequired, risk.TagLargeAmount}}},
		{"above credit limit", risk.Input{CompanyID: ordinary, Amount: 100_000_001, Currency: "SEK"}, overLimit},
		{"exposure within limit is tagged", risk.Input{CompanyID: ordinary, Amount: 100, Currency: "SEK", Exposure: 99_999_900}, risk.Decision{Outcome: risk.Approved, Tags: []string{risk.TagOpenExposure}}},
		{"exposure pushes over the limit", risk.Input{CompanyID: ordinary, Amount: 101, Currency: "SEK", Exposure: 99_999_900}, risk.Decision{Outcome: risk.Rejected, Tags: []string{risk.TagOpenExposure, risk.TagCreditLimitExceeded}, Reason: overLimit.Reason}},
		{"low-limit company within its limit", risk.Input{CompanyID: risk.LowLimitCompany, Amount: 1_000_000, Currency: "SEK"}, risk.Decision{Outcome: risk.Approved, Tags: []string{}}},
		{"low-limit company over its limit", risk.Input{CompanyID: risk.LowLimitCompany, Amount: 1_000_001, Currency: "SEK"}, overLimit},
		{"blocked company", risk.Input{CompanyID: risk.BlockedCompany, Amount: 100, Currency: "SEK"}, risk.Decision{Outcome: risk.Rejected, Tags: []string{risk.TagBlocklisted}, Reason: "the company cannot be offered invoice payment"}},
		{"blocked company with exposure", risk.Input{CompanyID: risk.BlockedCompany, Amount: 100, Currency: "SEK", Exposure: 5}, risk.Decision{Outcome: risk.Rejected, Tags: []string{risk.TagBlocklisted}, Reason: "the company cannot be offered invoice payment"}},
		{"signatory company", risk.Input{CompanyID: risk.SignatoryCompany, Amount: 100, Currency: "SEK"}, risk.Decision{Outcome: risk.Signatory, Tags: []string{risk.TagSignatoryRequired}}},
		{"manual review", risk.Input{CompanyID: risk.ManualReviewCompany, Amount: 100, Currency: "EUR"}, risk.Decision{Outcome: risk.Approved, Tags: []string{risk.TagManualReview}, Forced: true}},
		{"manual review over limit is still rejected", risk.Input{CompanyID: risk.ManualReviewCompany, Amount: 100_000_001, Currency: "EUR"}, overLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := risk.DefaultPolicy.Assess(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Assess(%+v) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestExposureNeverOverrunsLimit: whatever sequence of authorizations a
// company makes, adding each approved or signatory amount to its exposure
// never takes the exposure above its limit.
func TestExposureNeverOverrunsLimit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := risk.DefaultPolicy
		company := rapid.SampledFrom([]string{"559311-3714", risk.LowLimitCompany, risk.SignatoryCompany}).Draw(t, "company")
		limit := p.Limit(company, "SEK")
		var exposure int64
		for _, amount := range rapid.SliceOf(rapid.Int64Range(1, limit)).Draw(t, "amounts") {
			d := p.Assess(risk.Input{CompanyID: company, Amount: amount, Currency: "SEK", Exposure: exposure})
			if d.Outcome != risk.Rejected {
				exposure += amount
			}
			if exposure > limit {
				t.Fatalf("exposure %d above limit %d", exposure, limit)
			}
		}
	})
}

func TestAssessIsDeterministic(t *testing.T) {
	in := risk.Input{CompanyID: risk.ManualReviewCompany, Amount: 4200, Currency: "SEK", Exposure: 17}
	first := risk.DefaultPolicy.Assess(in)
	for range 50 {
		if diff := cmp.Diff(first, risk.DefaultPolicy.Assess(in)); diff != "" {
			t.Fatalf("second assessment differs:\n%s", diff)
		}
	}
}

// TestAssessWithoutTestCompanies: with TestCompanies off (live mode) the
// test companies' IDs are assessed by the rules alone, like any company.
func TestAssessWithoutTestCompanies(t *testing.T) {
	live := risk.DefaultPolicy
	live.TestCompanies = false
	approved := risk.Decision{Outcome: risk.Approved, Tags: []string{}}
	tests := []struct {
		name string
		in   risk.Input
		want risk.Decision
	}{
		{"blocked company", risk.Input{CompanyID: risk.BlockedCompany, Amount: 100, Currency: "SEK"}, approved},
		{"signatory company", risk.Input{CompanyID: risk.SignatoryCompany, Amount: 100, Currency: "SEK"}, approved},
		{"manual review company", risk.Input{CompanyID: risk.ManualReviewCompany, Amount: 100, Currency: "EUR"}, approved},
		{"low-limit company above the low limit", risk.Input{CompanyID: risk.LowLimitCompany, Amount: 1_000_001, Currency: "SEK"}, approved},
		{"low-limit company at the credit limit", risk.Input{CompanyID: risk.LowLimitCompany, Amount: 10_000_000, Currency: "SEK", Exposure: 90_000_000}, risk.Decision{Outcome: risk.Approved, Tags: []string{risk.TagOpenExposure}}},
		{"blocked company above the signatory threshold", risk.Input{CompanyID: risk.BlockedCompany, Amount: 25_000_001, Currency: "SEK"}, risk.Decision{Outcome: risk.Signatory, Tags: []string{risk.TagSignatoryRequired, risk.TagLargeAmount}}},
		{"manual review company over the credit limit", risk.Input{CompanyID: risk.ManualReviewCompany, Amount: 100_000_001, Currency: "SEK"}, risk.Decision{Outcome: risk.Rejected, Tags: []string{risk.TagCreditLimitExceeded}, Reason: "the amount exceeds the company's credit limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, live.Assess(tt.in)); diff != "" {
				t.Errorf("Assess(%+v) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
	if got := live.Limit(risk.LowLimitCompany, "SEK"); got != live.Limit("559311-3714", "SEK") {
		t.Errorf("live limit of the low-limit company = %d, want the ordinary %d", got, live.Limit("559311-3714", "SEK"))
	}
}

// TestTestCompaniesAreOrdinaryWithoutTestCompanies: with TestCompanies off,
// every input gets the same decision for a test company as for an
// ordinary one.
func TestTestCompaniesAreOrdinaryWithoutTestCompanies(t *testing.T) {
	live := risk.DefaultPolicy
	live.TestCompanies = false
	rapid.Check(t, func(t *rapid.T) {
		in := risk.Input{
			CompanyID: rapid.SampledFrom([]string{risk.BlockedCompany, risk.SignatoryCompany, risk.ManualReviewCompany, risk.LowLimitCompany}).Draw(t, "company"),
			Amount:    rapid.Int64Range(1, 200_000_000).Draw(t, "amount"),
			Currency:  rapid.SampledFrom([]money.Currency{"SEK", "EUR", "JPY"}).Draw(t, "currency"),
			Exposure:  rapid.Int64Range(0, 200_000_000).Draw(t, "exposure"),
		}
		ordinary := in
		ordinary.CompanyID = "559311-3714"
		if diff := cmp.Diff(live.Assess(ordinary), live.Assess(in)); diff != "" {
			t.Fatalf("%s assessed unlike an ordinary company (-ordinary +test company):\n%s", in.CompanyID, diff)
		}
	})
}
