package risk_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/risk"
)

func TestAssess(t *testing.T) {
	tests := []struct {
		name string
		in   risk.Input
		want risk.Decision
	}{
		{"ordinary", risk.Input{"559311-3714", 500000, "SEK"}, risk.Decision{Outcome: risk.Approved, Tags: []string{}}},
		{"at signatory threshold", risk.Input{"559311-3714", 25_000_000, "SEK"}, risk.Decision{Outcome: risk.Approved, Tags: []string{}}},
		{"above signatory threshold", risk.Input{"559311-3714", 25_000_001, "SEK"}, risk.Decision{Outcome: risk.Signatory, Tags: []string{"signatoryRequired", "largeAmount"}}},
		{"JPY scaled by its digits", risk.Input{"559311-3714", 250_001, "JPY"}, risk.Decision{Outcome: risk.Signatory, Tags: []string{"signatoryRequired", "largeAmount"}}},
		{"above credit limit", risk.Input{"559311-3714", 100_000_001, "SEK"}, risk.Decision{Outcome: risk.Rejected, Tags: []string{"creditLimitExceeded"}, Reason: "the amount exceeds the company's credit limit"}},
		{"blocked company", risk.Input{risk.BlockedCompany, 100, "SEK"}, risk.Decision{Outcome: risk.Rejected, Tags: []string{"blocklisted"}, Reason: "the company cannot be offered invoice payment"}},
		{"signatory company", risk.Input{risk.SignatoryCompany, 100, "SEK"}, risk.Decision{Outcome: risk.Signatory, Tags: []string{"signatoryRequired"}}},
		{"manual review", risk.Input{risk.ManualReviewCompany, 100, "EUR"}, risk.Decision{Outcome: risk.Approved, Tags: []string{"manualReview"}, Forced: true}},
		{"manual review over limit is still rejected", risk.Input{risk.ManualReviewCompany, 100_000_001, "EUR"}, risk.Decision{Outcome: risk.Rejected, Tags: []string{"creditLimitExceeded"}, Reason: "the amount exceeds the company's credit limit"}},
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
