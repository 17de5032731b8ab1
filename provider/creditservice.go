package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/store"
)

// KindAssessment is the kind of a credit request the buyer's dialog makes
// before the buyer confirms: it shows the outcome, reserves nothing and
// is not recorded; confirming makes an authorization's request.
const KindAssessment = "assessment"

// RuleCreditServiceUnavailable is the rule of a rejection because the
// merchant's credit provider gave no usable answer.
const RuleCreditServiceUnavailable = "creditServiceUnavailable"

// ruleCreditService is the rule of a credit service's answer that names
// none.
const ruleCreditService = "creditService"

// CreditProvider decides credit requests that the merchant's rules let
// through (see decide). Rules, the rules themselves, is every merchant's;
// a merchant whose policy names the credit service is decided by the
// deployment's, Config.CreditService, which CreditService implements
// over HTTP. An error is no answer.
type CreditProvider interface {
	Decide(ctx context.Context, r CreditRequest) (CreditAnswer, error)
}

// CreditRequest is what a credit decision looks at; as JSON, the body a
// credit service is sent (docs/credit.md). Amounts are minor units of
// Currency.
type CreditRequest struct {
	Kind       string         `json:"kind"` // authorization, orderEdit or assessment
	MerchantID string         `json:"merchantId"`
	SessionID  string         `json:"sessionId"`
	OrderID    string         `json:"orderId,omitempty"` // an edit's order
	CompanyID  string         `json:"companyId"`
	Currency   money.Currency `json:"currency"`
	Amount     int64          `json:"amount"` // the session's amount, or the order's new total
	// Exposure is the company's open exposure at the merchant in
	// Currency, without this session or order.
	Exposure       int64 `json:"exposure"`
	CreditLimit    int64 `json:"creditLimit"`
	SignatoryAbove int64 `json:"signatoryAbove"`
	PaymentTerms   int   `json:"paymentTerms"`  // days
	PolicyVersion  int64 `json:"policyVersion"` // 0: the merchant has set no policy
	// Rules is what the merchant's rules decided: approved or signatory.
	Rules string `json:"rules"`

	policy risk.Policy
}

// input is what the rules look at.
func (r CreditRequest) input() risk.Input {
	return risk.Input{CompanyID: r.CompanyID, Amount: r.Amount, Currency: r.Currency, Exposure: r.Exposure, Edit: r.Kind == store.DecisionOrderEdit}
}

// CreditAnswer is a provider's decision; as JSON, what a credit service
// answers.
type CreditAnswer struct {
	Outcome string `json:"outcome"` // approved, signatory or rejected
	// Rule names what decided, for the record: up to 64 letters, digits,
	// '.', '_' and '-'.
	Rule string `json:"rule,omitempty"`
}

// Rules is the built-in provider: the merchant's rules, the same way
// every time.
type Rules struct{}

func (Rules) Decide(_ context.Context, r CreditRequest) (CreditAnswer, error) {
	v := r.policy.Decide(r.input())
	return CreditAnswer{Outcome: v.Outcome, Rule: v.Rule}, nil
}

// Buyer-facing reasons of a provider's refusals.
const (
	reasonDeclined    = "the credit assessment declined the company"
	reasonUnavailable = "the credit assessment is unavailable; try again later"
)

// decide decides r: the merchant's rules first, whose rejections and test
// companies' outcomes are final, then p, the merchant's provider named
// name. The provider can only be stricter than the rules: their limits,
// blocklist and signatory threshold are the merchant's and hold whatever
// it answers. Without a usable answer (none configured, an error, a
// timeout, a malformed answer) the decision is a rejection, and why says
// what went wrong: credit the merchant's chosen assessment has not
// approved is not granted. by is who decided; why is recorded with it.
func decide(ctx context.Context, p CreditProvider, name string, r CreditRequest) (v risk.Verdict, by, why string, err error) {
	v = r.policy.Decide(r.input())
	r.CreditLimit, r.SignatoryAbove = v.Limit, v.SignatoryAbove
	if v.Outcome == risk.Rejected || v.Rule == risk.RuleTestCompany {
		return v, risk.ProviderRules, v.Reason, nil
	}
	if p == nil {
		return refusal(v, RuleCreditServiceUnavailable, reasonUnavailable), name, "this deployment has no credit service", nil
	}
	r.Rules = v.Outcome
	a, err := p.Decide(ctx, r)
	switch {
	case err != nil && ctx.Err() != nil:
		return v, name, "", ctx.Err() // the caller gave up: nothing is decided
	case err != nil:
		return refusal(v, RuleCreditServiceUnavailable, reasonUnavailable), name, err.Error(), nil
	case risk.Stricter(v.Outcome, a.Outcome):
		return v, risk.ProviderRules, v.Reason, nil
	case a.Outcome == risk.Rejected:
		return refusal(v, a.Rule, reasonDeclined), name, reasonDeclined, nil
	case a.Outcome == risk.Signatory && v.Outcome == risk.Approved:
		v.Outcome, v.Tags, v.Forced = risk.Signatory, append(v.Tags, risk.TagSignatoryRequired), false
	}
	v.Rule = a.Rule
	return v, name, "", nil
}

// refusal is v turned into a rejection by rule.
func refusal(v risk.Verdict, rule, reason string) risk.Verdict {
	v.Decision = risk.Decision{Outcome: risk.Rejected, Tags: v.Tags, Reason: reason}
	v.Rule = rule
	return v
}

// Bounds of a credit service's timeout: every authorization of a company
// waits for the answer with its credit line locked.
const (
	MinCreditServiceTimeout = 100 * time.Millisecond
	MaxCreditServiceTimeout = 10 * time.Second
)

// maxCreditAnswer bounds the answer's body.
const maxCreditAnswer = 64 << 10

// CreditService asks an external credit service: it POSTs the request as
// JSON to its URL and takes the answer within its timeout
// (docs/credit.md has the protocol).
type CreditService struct {
	url     string
	timeout time.Duration
	token   string
	client  *http.Client
}

// NewCreditService returns the credit service at rawURL, an http or https
// URL, asked within timeout; a token, if any, is sent as a bearer token.
func NewCreditService(rawURL string, timeout time.Duration, token string) (*CreditService, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("credit service URL %q is not an absolute http or https URL", rawURL)
	}
	if timeout < MinCreditServiceTimeout || timeout > MaxCreditServiceTimeout {
		return nil, fmt.Errorf("credit service timeout %s is not between %s and %s", timeout, MinCreditServiceTimeout, MaxCreditServiceTimeout)
	}
	return &CreditService{url: u.String(), timeout: timeout, token: token, client: &http.Client{
		// A redirect is not an answer: following it would resend the
		// request somewhere not configured.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

func (c *CreditService) Decide(ctx context.Context, r CreditRequest) (CreditAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	a, err := c.ask(ctx, r)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("credit service: no answer within %s", c.timeout)
	}
	return a, err
}

func (c *CreditService) ask(ctx context.Context, r CreditRequest) (CreditAnswer, error) {
	var a CreditAnswer
	body, err := json.Marshal(r)
	if err != nil {
		return a, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return a, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return a, ctx.Err()
		}
		return a, fmt.Errorf("credit service: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxCreditAnswer+1))
	switch {
	case ctx.Err() != nil:
		return a, ctx.Err()
	case err != nil:
		return a, fmt.Errorf("credit service: reading the answer: %w", err)
	case resp.StatusCode != http.StatusOK:
		return a, fmt.Errorf("credit service: status %d", resp.StatusCode)
	case len(b) > maxCreditAnswer:
		return a, fmt.Errorf("credit service: the answer is larger than %d bytes", maxCreditAnswer)
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("credit service: the answer is not the expected JSON: %w", err)
	}
	switch a.Outcome {
	case risk.Approved, risk.Signatory, risk.Rejected:
	default:
		return a, fmt.Errorf("credit service: outcome %.40q is none of approved, signatory, rejected", a.Outcome)
	}
	if a.Rule == "" {
		a.Rule = ruleCreditService
	}
	if !validRule(a.Rule) {
		return a, fmt.Errorf("credit service: rule %.70q is not up to 64 letters, digits, '.', '_' and '-'", a.Rule)
	}
	return a, nil
}

func validRule(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}
