package risk_test

import (
	"testing"

	"github.com/kassa-pay/kassa/risk"
)

// TestSandboxTestValues pins the company IDs docs/sandbox.md publishes for
// integrators to force each outcome; they are written out here, not taken
// from the package's constants, so renaming a value fails this test.
func TestSandboxTestValues(t *testing.T) {
	for _, c := range []struct {
		company string
		amount  int64 // SEK minor units
		outcome string
		tag     string
		forced  bool
	}{
		{"556000-0000", 100, risk.Rejected, risk.TagBlocklisted, false},
		{"556000-0001", 100, risk.Signatory, risk.TagSignatoryRequired, false},
		{"556000-0002", 100, risk.Approved, risk.TagManualReview, true},
		{"556000-0003", 1_000_000, risk.Approved, "", false},
		{"556000-0003", 1_000_001, risk.Rejected, risk.TagCreditLimitExceeded, false},
	} {
		d := risk.DefaultPolicy.Assess(risk.Input{CompanyID: c.company, Amount: c.amount, Currency: "SEK"})
		tag := ""
		if len(d.Tags) > 0 {
			tag = d.Tags[len(d.Tags)-1]
		}
		if d.Outcome != c.outcome || tag != c.tag || d.Forced != c.forced {
			t.Errorf("%s, %d: %s %q forced %v; want %s %q forced %v", c.company, c.amount, d.Outcome, tag, d.Forced, c.outcome, c.tag, c.forced)
		}
	}
}
