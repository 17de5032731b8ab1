package risk

import (
	"fmt"
	"maps"
	"slices"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// What an order edit above the authorized amount meets
// (Settings.OrderEdits).
const (
	EditsCreditCheck = "creditCheck" // a new credit check of the new total
	EditsRefuse      = "refuse"      // refused: a new payment session is needed
)

// Who decides what the rules approve (Settings.Provider).
const (
	ProviderRules         = "rules"         // the rules alone
	ProviderCreditService = "creditService" // the deployment's credit service too
)

// MaxCompanies bounds Settings.Companies and Settings.Blocklist each: the
// policy is read with every authorization.
const MaxCompanies = 1000

// maxCompanyID is the longest company ID a buyer can authorize with.
const maxCompanyID = 32

// Settings are a merchant's credit policy as it sets them (PUT
// /v1/credit-policy, kassa credit-policy set; docs/credit.md). Amounts
// are minor units of the currency that keys them; what Settings leave
// out, the deployment's Policy decides (Apply).
type Settings struct {
	// CreditLimits is the credit limit per buyer company, by currency.
	CreditLimits map[money.Currency]int64 `json:"creditLimits"`
	// SignatoryAbove is the signatory threshold by currency: amounts
	// above it need a company signatory's approval.
	SignatoryAbove map[money.Currency]int64 `json:"signatoryAbove"`
	// Companies sets single companies apart: a limit of their own, or
	// blocked.
	Companies []CompanySettings `json:"companies"`
	// Blocklist lists companies every authorization of is rejected, like
	// a Companies entry that is Blocked.
	Blocklist []string `json:"blocklist"`
	// OrderEdits is EditsCreditCheck or EditsRefuse.
	OrderEdits string `json:"orderEditAboveAuthorized"`
	// Provider is ProviderRules or ProviderCreditService.
	Provider string `json:"decisionProvider"`
}

// CompanySettings is what Settings set for one company: CreditLimits or
// Blocked.
type CompanySettings struct {
	CompanyID    string                   `json:"companyId"`
	CreditLimits map[money.Currency]int64 `json:"creditLimits,omitempty"`
	Blocked      bool                     `json:"blocked,omitempty"`
}

// Check validates settings a merchant sends, whose company IDs the caller
// has normalized, and returns them with their defaults filled in and
// currency codes in upper case; the error names the member at fault.
func (s Settings) Check() (Settings, error) {
	var err error
	var out Settings
	if out.CreditLimits, err = checkAmounts("creditLimits", s.CreditLimits); err != nil {
		return s, err
	}
	if out.SignatoryAbove, err = checkAmounts("signatoryAbove", s.SignatoryAbove); err != nil {
		return s, err
	}
	if len(s.Companies) > MaxCompanies {
		return s, kassa.Invalid("companies", "companies may list at most %d companies", MaxCompanies)
	}
	if len(s.Blocklist) > MaxCompanies {
		return s, kassa.Invalid("blocklist", "blocklist may list at most %d companies", MaxCompanies)
	}
	seen := map[string]string{} // company ID → the member that named it
	name := func(param, id string) error {
		switch {
		case id == "":
			return kassa.Invalid(param, "%s must be a company ID", param)
		case len(id) > maxCompanyID:
			return kassa.Invalid(param, "%s is longer than %d characters", param, maxCompanyID)
		case seen[id] != "":
			return kassa.Invalid(param, "%s: company %s is already set by %s", param, id, seen[id])
		}
		seen[id] = param
		return nil
	}
	out.Companies = make([]CompanySettings, len(s.Companies))
	for i, c := range s.Companies {
		at := fmt.Sprintf("companies[%d]", i)
		if err := name(at+".companyId", c.CompanyID); err != nil {
			return s, err
		}
		switch {
		case c.Blocked && len(c.CreditLimits) > 0:
			return s, kassa.Invalid(at+".creditLimits", "%s is blocked: it has no credit limits", at)
		case !c.Blocked && len(c.CreditLimits) == 0:
			return s, kassa.Invalid(at, "%s sets nothing: give creditLimits or blocked", at)
		}
		limits, err := checkAmounts(at+".creditLimits", c.CreditLimits)
		if err != nil {
			return s, err
		}
		if c.Blocked {
			limits = nil
		}
		out.Companies[i] = CompanySettings{CompanyID: c.CompanyID, CreditLimits: limits, Blocked: c.Blocked}
	}
	out.Blocklist = make([]string, len(s.Blocklist))
	for i, id := range s.Blocklist {
		if err := name(fmt.Sprintf("blocklist[%d]", i), id); err != nil {
			return s, err
		}
		out.Blocklist[i] = id
	}
	if out.OrderEdits, err = choice("orderEditAboveAuthorized", s.OrderEdits, EditsCreditCheck, EditsRefuse); err != nil {
		return s, err
	}
	if out.Provider, err = choice("decisionProvider", s.Provider, ProviderRules, ProviderCreditService); err != nil {
		return s, err
	}
	return out, nil
}

// choice checks that v is one of options, the first of which is the
// default when v is empty.
func choice(param, v string, options ...string) (string, error) {
	switch {
	case v == "":
		return options[0], nil
	case slices.Contains(options, v):
		return v, nil
	}
	return "", kassa.Invalid(param, "%s must be %q or %q", param, options[0], options[1])
}

// checkAmounts checks amounts keyed by currency and returns them keyed by
// upper-case codes.
func checkAmounts(param string, in map[money.Currency]int64) (map[money.Currency]int64, error) {
	out := make(map[money.Currency]int64, len(in))
	for _, k := range slices.Sorted(maps.Keys(in)) { // the same error every time
		at := param + "." + string(k)
		c, err := money.ParseCurrency(string(k))
		if err != nil {
			return nil, kassa.Invalid(at, "%s: %q is not an ISO 4217 currency code", param, k)
		}
		if _, dup := out[c]; dup {
			return nil, kassa.Invalid(at, "%s names %s twice", param, c)
		}
		if v := in[k]; v < 0 || v > money.MaxAmount {
			return nil, kassa.Invalid(at, "%s must be 0 to %d (minor units of %s)", at, money.MaxAmount, c)
		}
		out[c] = in[k]
	}
	return out, nil
}

// Apply returns p with the merchant's settings s: its limits, thresholds,
// companies and blocklist where s names them, and its rule for order
// edits.
func (s Settings) Apply(p Policy) Policy {
	p.Limits, p.SignatoryLimits = s.CreditLimits, s.SignatoryAbove
	p.RefuseEdits = s.OrderEdits == EditsRefuse
	p.Companies = make(map[string]Company, len(s.Companies)+len(s.Blocklist))
	for _, c := range s.Companies {
		p.Companies[c.CompanyID] = Company{Limits: c.CreditLimits, Blocked: c.Blocked}
	}
	for _, id := range s.Blocklist {
		p.Companies[id] = Company{Blocked: true}
	}
	return p
}
