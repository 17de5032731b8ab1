package risk_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/risk"
	"pgregory.net/rapid"
)

type amounts = map[money.Currency]int64

// Settings a merchant sends are checked member by member: each error
// names the member at fault.
func TestSettingsCheck(t *testing.T) {
	many := func(n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = "id-" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		}
		return ids
	}
	manyCompanies := make([]risk.CompanySettings, risk.MaxCompanies+1)
	for i, id := range many(risk.MaxCompanies + 1) {
		manyCompanies[i] = risk.CompanySettings{CompanyID: id, Blocked: true}
	}
	tests := []struct {
		name  string
		in    risk.Settings
		param string
	}{
		{"unknown currency", risk.Settings{CreditLimits: amounts{"XYZ": 1}}, "creditLimits.XYZ"},
		{"negative limit", risk.Settings{CreditLimits: amounts{"SEK": -1}}, "creditLimits.SEK"},
		{"limit too large", risk.Settings{CreditLimits: amounts{"SEK": money.MaxAmount + 1}}, "creditLimits.SEK"},
		{"one currency twice", risk.Settings{CreditLimits: amounts{"SEK": 1, "sek": 2}}, "creditLimits.sek"},
		{"negative threshold", risk.Settings{SignatoryAbove: amounts{"EUR": -5}}, "signatoryAbove.EUR"},
		{"company without an ID", risk.Settings{Companies: []risk.CompanySettings{{Blocked: true}}}, "companies[0].companyId"},
		{"company ID too long", risk.Settings{Companies: []risk.CompanySettings{{CompanyID: strings.Repeat("1", 33), Blocked: true}}}, "companies[0].companyId"},
		{"company setting nothing", risk.Settings{Companies: []risk.CompanySettings{{CompanyID: "556677-8899"}}}, "companies[0]"},
		{"blocked company with limits", risk.Settings{Companies: []risk.CompanySettings{{CompanyID: "556677-8899", Blocked: true, CreditLimits: amounts{"SEK": 1}}}}, "companies[0].creditLimits"},
		{"company limit in an unknown currency", risk.Settings{Companies: []risk.CompanySettings{{CompanyID: "556677-8899", CreditLimits: amounts{"SE": 1}}}}, "companies[0].creditLimits.SE"},
		{"company twice", risk.Settings{Companies: []risk.CompanySettings{{CompanyID: "556677-8899", Blocked: true}, {CompanyID: "556677-8899", CreditLimits: amounts{"SEK": 1}}}}, "companies[1].companyId"},
		{"company in companies and the blocklist", risk.Settings{Companies: []risk.CompanySettings{{CompanyID: "556677-8899", CreditLimits: amounts{"SEK": 1}}}, Blocklist: []string{"556677-8899"}}, "blocklist[0]"},
		{"empty blocklist entry", risk.Settings{Blocklist: []string{"556677-8899", ""}}, "blocklist[1]"},
		{"blocklist entry twice", risk.Settings{Blocklist: []string{"556677-8899", "556677-8899"}}, "blocklist[1]"},
		{"too many companies", risk.Settings{Companies: manyCompanies}, "companies"},
		{"too long a blocklist", risk.Settings{Blocklist: many(risk.MaxCompanies + 1)}, "blocklist"},
		{"unknown edit rule", risk.Settings{OrderEdits: "ask"}, "orderEditAboveAuthorized"},
		{"unknown provider", risk.Settings{Provider: "bank"}, "decisionProvider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.in.Check()
			if e, ok := err.(*kassa.Error); !ok || e.Code != kassa.EInvalid || e.Param != tt.param {
				t.Errorf("Check() = %v, want invalid_request naming %s", err, tt.param)
			}
		})
	}
}

// Check fills in the defaults and upper-cases currency codes; the
// defaults are the settings of a merchant that has set none.
func TestSettingsCheckNormalizes(t *testing.T) {
	got, err := risk.Settings{}.Check()
	if err != nil {
		t.Fatal(err)
	}
	want := risk.Settings{CreditLimits: amounts{}, SignatoryAbove: amounts{}, Companies: []risk.CompanySettings{}, Blocklist: []string{},
		OrderEdits: risk.EditsCreditCheck, Provider: risk.ProviderRules}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Check of the zero Settings (-want +got):\n%s", diff)
	}
	in := risk.Settings{
		CreditLimits: amounts{"sek": 0, "EUR": 5}, SignatoryAbove: amounts{"jpy": 7},
		Companies: []risk.CompanySettings{{CompanyID: "556677-8899", CreditLimits: amounts{"eur": 9}}, {CompanyID: "559311-3714", Blocked: true}},
		Blocklist: []string{"556000-0042"}, OrderEdits: risk.EditsRefuse, Provider: risk.ProviderCreditService,
	}
	got, err = in.Check()
	if err != nil {
		t.Fatal(err)
	}
	want = risk.Settings{
		CreditLimits: amounts{"SEK": 0, "EUR": 5}, SignatoryAbove: amounts{"JPY": 7},
		Companies: []risk.CompanySettings{{CompanyID: "556677-8899", CreditLimits: amounts{"EUR": 9}}, {CompanyID: "559311-3714", Blocked: true}},
		Blocklist: []string{"556000-0042"}, OrderEdits: risk.EditsRefuse, Provider: risk.ProviderCreditService,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}
}

// A merchant's settings decide where they name an amount; the
// deployment's policy decides the rest, and the sandbox's test companies
// keep their forced outcomes.
func TestDecideWithSettings(t *testing.T) {
	const (
		ordinary = "559311-3714"
		special  = "556677-8899" // its own SEK limit
		blocked  = "556123-4567" // blocked in companies
		listed   = "556765-4321" // on the blocklist
	)
	s, err := risk.Settings{
		CreditLimits:   amounts{"SEK": 5_000_000, "JPY": 300_000},
		SignatoryAbove: amounts{"SEK": 2_000_000},
		Companies: []risk.CompanySettings{
			{CompanyID: special, CreditLimits: amounts{"SEK": 20_000_000}},
			{CompanyID: blocked, Blocked: true},
			{CompanyID: risk.LowLimitCompany, CreditLimits: amounts{"SEK": 90_000_000}},
		},
		Blocklist:  []string{listed},
		OrderEdits: risk.EditsRefuse,
	}.Check()
	if err != nil {
		t.Fatal(err)
	}
	sandbox := s.Apply(risk.DefaultPolicy)
	live := risk.DefaultPolicy
	live.TestCompanies = false
	live = s.Apply(live)
	approved := func(rule string, tags ...string) risk.Verdict {
		if tags == nil {
			tags = []string{}
		}
		return risk.Verdict{Decision: risk.Decision{Outcome: risk.Approved, Tags: tags}, Rule: rule}
	}
	rejected := func(rule, tag, reason string) risk.Verdict {
		return risk.Verdict{Decision: risk.Decision{Outcome: risk.Rejected, Tags: []string{tag}, Reason: reason}, Rule: rule}
	}
	const overLimit = "the amount exceeds the company's credit limit"
	const cannot = "the company cannot be offered invoice payment"
	signatory := risk.Verdict{Decision: risk.Decision{Outcome: risk.Signatory, Tags: []string{risk.TagSignatoryRequired, risk.TagLargeAmount}}, Rule: risk.RuleSignatoryThreshold}
	tests := []struct {
		name   string
		policy risk.Policy
		in     risk.Input
		want   risk.Verdict
		limit  int64
		above  int64
	}{
		{"within the merchant's SEK limit", sandbox, risk.Input{CompanyID: ordinary, Amount: 1_000_000, Currency: "SEK"}, approved(risk.RuleWithinPolicy), 5_000_000, 2_000_000},
		{"above the merchant's SEK threshold", sandbox, risk.Input{CompanyID: ordinary, Amount: 2_000_001, Currency: "SEK"}, signatory, 5_000_000, 2_000_000},
		{"above the merchant's SEK limit", sandbox, risk.Input{CompanyID: ordinary, Amount: 5_000_001, Currency: "SEK"}, rejected(risk.RuleCreditLimit, risk.TagCreditLimitExceeded, overLimit), 5_000_000, 2_000_000},
		{"exposure counts against the merchant's limit", sandbox, risk.Input{CompanyID: ordinary, Amount: 2, Currency: "SEK", Exposure: 4_999_999},
			risk.Verdict{Decision: risk.Decision{Outcome: risk.Rejected, Tags: []string{risk.TagOpenExposure, risk.TagCreditLimitExceeded}, Reason: overLimit}, Rule: risk.RuleCreditLimit}, 5_000_000, 2_000_000},
		{"a currency the merchant set no limit for has the default", sandbox, risk.Input{CompanyID: ordinary, Amount: 25_000_000, Currency: "EUR"}, approved(risk.RuleWithinPolicy), 100_000_000, 25_000_000},
		{"JPY limit in yen", sandbox, risk.Input{CompanyID: ordinary, Amount: 300_001, Currency: "JPY"}, rejected(risk.RuleCreditLimit, risk.TagCreditLimitExceeded, overLimit), 300_000, 250_000},
		{"a company's own limit", sandbox, risk.Input{CompanyID: special, Amount: 19_000_000, Currency: "SEK"}, signatory, 20_000_000, 2_000_000},
		{"a company's own limit, exceeded", sandbox, risk.Input{CompanyID: special, Amount: 20_000_001, Currency: "SEK"}, rejected(risk.RuleCreditLimit, risk.TagCreditLimitExceeded, overLimit), 20_000_000, 2_000_000},
		{"a company's own limit in another currency has the merchant's", sandbox, risk.Input{CompanyID: special, Amount: 1, Currency: "JPY"}, approved(risk.RuleWithinPolicy), 300_000, 250_000},
		{"blocked in companies", sandbox, risk.Input{CompanyID: blocked, Amount: 1, Currency: "SEK"}, rejected(risk.RuleBlocked, risk.TagBlocklisted, cannot), 5_000_000, 2_000_000},
		{"on the blocklist", live, risk.Input{CompanyID: listed, Amount: 1, Currency: "EUR"}, rejected(risk.RuleBlocked, risk.TagBlocklisted, cannot), 100_000_000, 25_000_000},
		{"an edit the policy refuses", sandbox, risk.Input{CompanyID: ordinary, Amount: 1, Currency: "SEK", Edit: true},
			risk.Verdict{Decision: risk.Decision{Outcome: risk.Rejected, Tags: []string{}, Reason: "the merchant's credit policy refuses a total above the authorized amount; create a new payment session for it"}, Rule: risk.RuleOrderEdit}, 5_000_000, 2_000_000},
		{"the sandbox's blocked company", sandbox, risk.Input{CompanyID: risk.BlockedCompany, Amount: 1, Currency: "SEK"}, rejected(risk.RuleTestCompany, risk.TagBlocklisted, cannot), 5_000_000, 2_000_000},
		{"the sandbox's low limit beats the merchant's", sandbox, risk.Input{CompanyID: risk.LowLimitCompany, Amount: 1_000_001, Currency: "SEK"}, rejected(risk.RuleCreditLimit, risk.TagCreditLimitExceeded, overLimit), 1_000_000, 2_000_000},
		{"in live mode the merchant's limit holds for a test company", live, risk.Input{CompanyID: risk.LowLimitCompany, Amount: 1_000_001, Currency: "SEK"}, approved(risk.RuleWithinPolicy), 90_000_000, 2_000_000},
		{"the sandbox's manual review", sandbox, risk.Input{CompanyID: risk.ManualReviewCompany, Amount: 1, Currency: "SEK"},
			risk.Verdict{Decision: risk.Decision{Outcome: risk.Approved, Tags: []string{risk.TagManualReview}, Forced: true}, Rule: risk.RuleTestCompany}, 5_000_000, 2_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.Limit, tt.want.SignatoryAbove = tt.limit, tt.above
			if diff := cmp.Diff(tt.want, tt.policy.Decide(tt.in)); diff != "" {
				t.Errorf("Decide(%+v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// Without settings, Decide names the rule of each of the default
// policy's outcomes, and Assess is its decision.
func TestDecideNamesTheRule(t *testing.T) {
	for _, tc := range []struct {
		in   risk.Input
		rule string
	}{
		{risk.Input{CompanyID: "559311-3714", Amount: 100, Currency: "SEK"}, risk.RuleWithinPolicy},
		{risk.Input{CompanyID: "559311-3714", Amount: 25_000_001, Currency: "SEK"}, risk.RuleSignatoryThreshold},
		{risk.Input{CompanyID: "559311-3714", Amount: 100_000_001, Currency: "SEK"}, risk.RuleCreditLimit},
		{risk.Input{CompanyID: risk.SignatoryCompany, Amount: 100, Currency: "SEK"}, risk.RuleTestCompany},
		{risk.Input{CompanyID: "559311-3714", Amount: 100, Currency: "SEK", Edit: true}, risk.RuleWithinPolicy}, // edits are assessed by default
	} {
		v := risk.DefaultPolicy.Decide(tc.in)
		if v.Rule != tc.rule || !cmp.Equal(v.Decision, risk.DefaultPolicy.Assess(tc.in)) {
			t.Errorf("Decide(%+v) = rule %q, %+v; want rule %q and Assess's decision", tc.in, v.Rule, v.Decision, tc.rule)
		}
	}
}

func TestStricter(t *testing.T) {
	order := []string{risk.Approved, risk.Signatory, risk.Rejected}
	for i, a := range order {
		for j, b := range order {
			if got := risk.Stricter(a, b); got != (i > j) {
				t.Errorf("Stricter(%s, %s) = %v", a, b, got)
			}
		}
	}
}

// Whatever limits a merchant sets, a company's exposure never goes above
// its limit through decisions that grant credit.
func TestSettingsNeverOverrunLimit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		company := rapid.SampledFrom([]string{"559311-3714", "556677-8899", risk.LowLimitCompany}).Draw(t, "company")
		s := risk.Settings{CreditLimits: amounts{"SEK": rapid.Int64Range(0, 10_000_000).Draw(t, "limit")}}
		if rapid.Bool().Draw(t, "override") {
			s.Companies = []risk.CompanySettings{{CompanyID: company, CreditLimits: amounts{"SEK": rapid.Int64Range(0, 10_000_000).Draw(t, "own")}}}
		}
		s, err := s.Check()
		if err != nil {
			t.Fatal(err)
		}
		base := risk.DefaultPolicy
		base.TestCompanies = rapid.Bool().Draw(t, "sandbox")
		p := s.Apply(base)
		limit := p.Limit(company, "SEK")
		var exposure int64
		for _, amount := range rapid.SliceOf(rapid.Int64Range(1, 10_000_000)).Draw(t, "amounts") {
			v := p.Decide(risk.Input{CompanyID: company, Amount: amount, Currency: "SEK", Exposure: exposure})
			if v.Limit != limit {
				t.Fatalf("decision held to limit %d, the policy's is %d", v.Limit, limit)
			}
			if v.Outcome != risk.Rejected {
				exposure += amount
			}
			if exposure > limit {
				t.Fatalf("exposure %d above limit %d", exposure, limit)
			}
		}
	})
}
