package provider_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/reconcile"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// desk is one order line of amount minor units (SEK, 25 % VAT).
func desk(amount int64) ([]order.Line, order.Totals) {
	vat := money.VATPortion(amount, 2500)
	return []order.Line{{Type: order.TypePhysical, Reference: "D", Description: "Desk", Quantity: 1, UnitPrice: &amount, VAT: 2500, TotalAmount: amount, TotalVATAmount: vat}},
		order.Totals{Amount: amount, VATAmount: vat}
}

// authorize creates a session of amount and authorizes it as company.
func (e *env) authorize(company string, amount int64) (*session.Session, provider.Authorization, error) {
	e.t.Helper()
	lines, totals := desk(amount)
	cur, country, locale := "SEK", "SE", "sv-SE"
	var ps *session.Session
	err := e.app.Update(e.t.Context(), func(tx store.Tx) (err error) {
		ps, err = e.app.CreateSession(e.t.Context(), tx, e.merchant, session.Params{Currency: &cur, Country: &country, Locale: &locale, Lines: lines, Totals: totals})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	buyer := kassatest.Buyer
	buyer.CompanyID = company
	var a provider.Authorization
	err = e.app.Update(e.t.Context(), func(tx store.Tx) error {
		_, err := e.app.ChangeSession(e.t.Context(), tx, e.merchant, ps.ID, func(ps *session.Session, env order.Env) (next *session.Session, err error) {
			next, a, err = e.app.Authorize(e.t.Context(), tx, ps, provider.Confirmation{Buyer: buyer, Method: order.Invoice}, env)
			return next, err
		})
		return err
	})
	return ps, a, err
}

// purchase authorizes amount as company and makes the order.
func (e *env) purchase(company string, amount int64) (*order.Order, error) {
	e.t.Helper()
	_, a, err := e.authorize(company, amount)
	if err != nil {
		return nil, err
	}
	lines, totals := desk(amount)
	buyer := kassatest.Buyer
	buyer.CompanyID = company
	var o *order.Order
	e.update(func(ctx context.Context, tx store.Tx) (err error) {
		o, err = e.app.OrderFromToken(ctx, tx, e.merchant, a.AuthorizationToken, session.OrderRequest{Currency: "SEK", Lines: lines, Totals: totals, Customer: buyer})
		return err
	})
	return o, nil
}

func (e *env) setPolicy(p provider.CreditPolicy) (*provider.CreditPolicy, error) {
	var out *provider.CreditPolicy
	err := e.app.Update(e.t.Context(), func(tx store.Tx) (err error) {
		out, err = e.app.PutCreditPolicy(e.t.Context(), tx, e.merchant, p)
		return err
	})
	return out, err
}

func (e *env) mustSetPolicy(p provider.CreditPolicy) {
	e.t.Helper()
	if _, err := e.setPolicy(p); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) policy() *provider.CreditPolicy {
	e.t.Helper()
	p, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) (*provider.CreditPolicy, error) {
		return e.app.CreditPolicy(e.t.Context(), tx, e.merchant)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// decisions lists the merchant's credit decisions, oldest first.
func (e *env) decisions() []store.CreditDecision {
	e.t.Helper()
	ds, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]store.CreditDecision, error) {
		return tx.CreditDecisions(e.t.Context(), e.merchant, store.CreditDecisionFilter{Limit: 100})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	for i, j := 0, len(ds)-1; i < j; i, j = i+1, j-1 {
		ds[i], ds[j] = ds[j], ds[i]
	}
	return ds
}

// pay records a bank payment of amount to the order's first document.
func (e *env) pay(o *order.Order, ref string, amount int64) *reconcile.Result {
	e.t.Helper()
	f := &reconcile.File{Payments: []reconcile.Entry{{
		BankRef: ref, Reference: e.documents(o.ID)[0].PaymentReference, Amount: amount, Currency: "SEK", BookedAt: e.clock.Now(),
	}}}
	var res *reconcile.Result
	e.update(func(ctx context.Context, tx store.Tx) (err error) {
		res, err = e.app.RecordPayments(ctx, tx, e.merchant, f)
		return err
	})
	return res
}

func (e *env) order(id string) *order.Order {
	e.t.Helper()
	o, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) (*order.Order, error) { return tx.Order(e.t.Context(), e.merchant, id) })
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func wantRejected(t *testing.T, what string, err error) {
	t.Helper()
	if kassa.ErrorCode(err) != kassa.ERejected {
		t.Fatalf("%s = %v, want rejected", what, err)
	}
}

// ignoreRecordIDs leaves out what a test cannot predict of a decision.
var ignoreRecordIDs = cmpopts.IgnoreFields(store.CreditDecision{}, "ID", "SessionID")

// An invoice the buyer pays no longer counts against its credit: once a
// payment is recorded, the same company can authorize again within its
// limit. Each decision is recorded, the refusal too.
func TestPaymentsFreeCredit(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		e.mustSetPolicy(provider.CreditPolicy{Settings: risk.Settings{CreditLimits: map[money.Currency]int64{"SEK": 15000}}})
		buyer := kassatest.Buyer.CompanyID
		first, err := e.purchase(buyer, 10000)
		if err != nil {
			t.Fatal(err)
		}
		kassatest.Capture(t, e.app, first)
		_, err = e.purchase(buyer, 10000)
		wantRejected(t, "a second purchase while the first is unpaid", err)

		if res := e.pay(first, "half", 4000); res.Payments[0].Outcome != reconcile.Partial {
			t.Fatalf("half payment: %+v", res.Payments)
		}
		if got := e.order(first.ID).Exposure(); got != 6000 {
			t.Errorf("exposure after a payment of 40.00 = %d, want 6000", got)
		}
		_, err = e.purchase(buyer, 10000)
		wantRejected(t, "a purchase while 60.00 is unpaid", err)
		e.pay(first, "rest", 6000)
		if o := e.order(first.ID); o.Exposure() != 0 || !o.Paid || o.Received != 10000 {
			t.Errorf("paid order: exposure %d, paid %v, received %d; want 0, true, 10000", o.Exposure(), o.Paid, o.Received)
		}
		if _, err := e.purchase(buyer, 10000); err != nil {
			t.Fatalf("a purchase once the invoice is paid: %v", err)
		}

		rec := func(outcome, rule string, exposure int64) store.CreditDecision {
			d := store.CreditDecision{
				MerchantID: e.merchant, Kind: store.DecisionAuthorization, CompanyID: buyer, Currency: "SEK", Amount: 10000, Exposure: exposure,
				Limit: 15000, SignatoryAbove: 25_000_000, PolicyVersion: 1, Sandbox: true, Provider: risk.ProviderRules,
				Outcome: outcome, Rule: rule, CreatedAt: t0,
			}
			if outcome == risk.Rejected {
				d.Reason = "the amount exceeds the company's credit limit"
			}
			return d
		}
		want := []store.CreditDecision{
			rec(risk.Approved, risk.RuleWithinPolicy, 0),
			rec(risk.Rejected, risk.RuleCreditLimit, 10000),
			rec(risk.Rejected, risk.RuleCreditLimit, 6000),
			rec(risk.Approved, risk.RuleWithinPolicy, 0),
		}
		if diff := cmp.Diff(want, e.decisions(), ignoreRecordIDs); diff != "" {
			t.Errorf("decisions (-want +got):\n%s", diff)
		}
	})
}

// A merchant without a policy has the deployment's defaults; in live
// mode the test companies are ordinary.
func TestCreditPolicyDefaults(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		sandbox := newEnv(t, provider.Config{})
		terms := 30
		want := &provider.CreditPolicy{
			Settings: risk.Settings{CreditLimits: map[money.Currency]int64{}, SignatoryAbove: map[money.Currency]int64{}, Companies: []risk.CompanySettings{},
				Blocklist: []string{}, OrderEdits: risk.EditsCreditCheck, Provider: risk.ProviderRules},
			PaymentTerms: &terms,
		}
		if diff := cmp.Diff(want, sandbox.policy()); diff != "" {
			t.Errorf("policy of a merchant without one (-want +got):\n%s", diff)
		}
		_, _, err := sandbox.authorize(risk.BlockedCompany, 100)
		wantRejected(t, "the sandbox's blocked company", err)
		live := newEnv(t, provider.Config{Live: true})
		if _, _, err := live.authorize(risk.BlockedCompany, 100); err != nil {
			t.Errorf("the blocked test company in live mode: %v", err)
		}
		if ds := live.decisions(); len(ds) != 1 || ds[0].Sandbox || ds[0].PolicyVersion != 0 || ds[0].Limit != 100_000_000 {
			t.Errorf("live decisions %+v, want one without the sandbox, at policy version 0, with the default limit", ds)
		}
	})
}

// Setting a policy checks all of it before anything is written; it
// normalizes company IDs as a buyer's are; its payment terms are the
// invoice settings' own.
func TestPutCreditPolicy(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		terms := 45
		got, err := e.setPolicy(provider.CreditPolicy{
			Settings: risk.Settings{
				CreditLimits: map[money.Currency]int64{"sek": 500}, Blocklist: []string{" 5560000042 "},
				Companies: []risk.CompanySettings{{CompanyID: "5566778899", CreditLimits: map[money.Currency]int64{"EUR": 7}}},
			},
			PaymentTerms: &terms,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || got.Blocklist[0] != "556000-0042" || got.Companies[0].CompanyID != "556677-8899" || got.CreditLimits["SEK"] != 500 || *got.PaymentTerms != 45 {
			t.Errorf("PutCreditPolicy = %+v", got)
		}
		if diff := cmp.Diff(got, e.policy()); diff != "" {
			t.Errorf("CreditPolicy after the put (-put +read):\n%s", diff)
		}
		inv, _ := provider.View(t.Context(), e.app, func(tx store.ReadTx) (int, error) {
			s, err := tx.InvoiceSettings(t.Context(), e.merchant)
			return s.PaymentTerms, err
		})
		if inv != 45 {
			t.Errorf("invoice settings' payment terms = %d, want 45", inv)
		}

		before := e.policy()
		bad := 400
		for _, tc := range []struct {
			p     provider.CreditPolicy
			param string
		}{
			{provider.CreditPolicy{Settings: risk.Settings{CreditLimits: map[money.Currency]int64{"SEK": -1}}}, "creditLimits.SEK"},
			{provider.CreditPolicy{Settings: risk.Settings{Blocklist: []string{"5560000042", "556000-0042"}}}, "blocklist[1]"},
			{provider.CreditPolicy{PaymentTerms: &bad}, "paymentTerms"},
			{provider.CreditPolicy{Settings: risk.Settings{Provider: risk.ProviderCreditService}}, "decisionProvider"},
		} {
			_, err := e.setPolicy(tc.p)
			if e, ok := err.(*kassa.Error); !ok || e.Code != kassa.EInvalid || e.Param != tc.param {
				t.Errorf("PutCreditPolicy(%+v) = %v, want invalid naming %s", tc.p, err, tc.param)
			}
		}
		if diff := cmp.Diff(before, e.policy()); diff != "" {
			t.Errorf("refused puts changed the policy (-before +after):\n%s", diff)
		}

		// Without paymentTerms the terms stay; the version moves on.
		e.mustSetPolicy(provider.CreditPolicy{})
		if p := e.policy(); p.Version != 2 || *p.PaymentTerms != 45 || len(p.Blocklist) != 0 {
			t.Errorf("policy after a put without terms = %+v, want version 2, terms 45, no blocklist", p)
		}
		err = e.app.Update(t.Context(), func(tx store.Tx) error {
			_, err := e.app.PutCreditPolicy(t.Context(), tx, "ac_nobody", provider.CreditPolicy{})
			return err
		})
		if kassa.ErrorCode(err) != kassa.ENotFound {
			t.Errorf("PutCreditPolicy of an unknown merchant = %v, want not found", err)
		}
	})
}

// An edit above the authorized amount gets a new credit check, or the
// refusal the merchant's policy sets; either is recorded with the order.
func TestOrderEditCredit(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		o, err := e.purchase(kassatest.Buyer.CompanyID, 10000)
		if err != nil {
			t.Fatal(err)
		}
		edit := func(amount int64) error {
			lines, totals := desk(amount)
			return e.app.Update(t.Context(), func(tx store.Tx) error {
				_, _, err := e.app.EditOrder(t.Context(), tx, e.merchant, o.ID, order.EditRequest{Lines: lines, Totals: totals})
				return err
			})
		}
		if err := edit(20000); err != nil {
			t.Fatalf("an edit within the limit: %v", err)
		}
		if err := edit(15000); err != nil { // below what is authorized now: no credit check
			t.Fatal(err)
		}
		wantRejected(t, "an edit that needs a signatory", edit(25_000_001))
		e.mustSetPolicy(provider.CreditPolicy{Settings: risk.Settings{OrderEdits: risk.EditsRefuse}})
		wantRejected(t, "an edit the policy refuses", edit(20001))
		if err := edit(20000); err != nil {
			t.Fatalf("an edit up to the authorized amount: %v", err)
		}

		ds := e.decisions()
		if len(ds) != 4 {
			t.Fatalf("%d decisions, want the authorization's and three edits': %+v", len(ds), ds)
		}
		for i, want := range []struct {
			amount         int64
			outcome, rule  string
			policyVersion  int64
			reasonContains string
		}{
			{20000, risk.Approved, risk.RuleWithinPolicy, 0, ""},
			{25_000_001, risk.Rejected, risk.RuleSignatoryThreshold, 0, "signatory"},
			{20001, risk.Rejected, risk.RuleOrderEdit, 1, "refuses"},
		} {
			d := ds[i+1]
			if d.Kind != store.DecisionOrderEdit || d.OrderID != o.ID || d.SessionID != o.SessionID || d.Amount != want.amount || d.Outcome != want.outcome ||
				d.Rule != want.rule || d.PolicyVersion != want.policyVersion || !strings.Contains(d.Reason, want.reasonContains) {
				t.Errorf("edit decision %d = %+v, want %+v", i, d, want)
			}
		}
	})
}

// creditService is a loopback credit service: it answers each request
// with answer (or calls it, to answer otherwise) and keeps the requests.
type creditService struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests []map[string]any
	headers  []http.Header
	answer   func(w http.ResponseWriter, r *http.Request)
}

func newCreditService(t *testing.T) *creditService {
	c := &creditService{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req); err != nil {
			t.Errorf("the credit service was sent %s: %v", b, err)
		}
		c.mu.Lock()
		c.requests, c.headers = append(c.requests, req), append(c.headers, r.Header.Clone())
		answer := c.answer
		c.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *creditService) answers(body string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answer = func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) }
}

func (c *creditService) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.requests)
}

// A merchant whose policy names the credit service is decided by it,
// within the rules: the service is sent the decision's inputs, can only
// be stricter than the rules, and is not asked when the rules reject or a
// sandbox test company decides. A service that does not answer usably
// refuses the credit.
func TestCreditService(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		cs := newCreditService(t)
		svc, err := provider.NewCreditService(cs.srv.URL+"/decide", provider.MinCreditServiceTimeout, "s3cret")
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, provider.Config{CreditService: svc})
		terms := 20
		e.mustSetPolicy(provider.CreditPolicy{
			Settings:     risk.Settings{Provider: risk.ProviderCreditService, CreditLimits: map[money.Currency]int64{"SEK": 5_000_000}, SignatoryAbove: map[money.Currency]int64{"SEK": 1_000_000}},
			PaymentTerms: &terms,
		})
		buyer := kassatest.Buyer.CompanyID

		cs.answers(`{"outcome":"approved","rule":"score.high","extra":"ignored"}`)
		ps, a, err := e.authorize(buyer, 10000)
		if err != nil || a.State != "authorized" {
			t.Fatalf("approved by the service: %+v, %v", a, err)
		}
		wantReq := map[string]any{
			"kind": "authorization", "merchantId": e.merchant, "sessionId": ps.ID, "companyId": buyer, "currency": "SEK",
			"amount": 10000.0, "exposure": 0.0, "creditLimit": 5_000_000.0, "signatoryAbove": 1_000_000.0, "paymentTerms": 20.0,
			"policyVersion": 1.0, "rules": "approved",
		}
		if diff := cmp.Diff(wantReq, cs.requests[0]); diff != "" {
			t.Errorf("the service's request (-want +got):\n%s", diff)
		}
		if h := cs.headers[0]; h.Get("Authorization") != "Bearer s3cret" || h.Get("Content-Type") != "application/json" {
			t.Errorf("the service's request headers %v", h)
		}

		// The dialog's assessment asks too, saying what it is; it is not
		// recorded.
		e.update(func(ctx context.Context, tx store.Tx) error {
			b := kassatest.Buyer
			_, d, err := e.app.Assess(ctx, tx, ps, b, e.app.Env())
			if err == nil && d.Outcome != risk.Approved {
				t.Errorf("assessment %+v, want approved", d)
			}
			return err
		})
		if kind := cs.requests[1]["kind"]; kind != provider.KindAssessment {
			t.Errorf("the assessment's request kind = %v, want %s", kind, provider.KindAssessment)
		}

		cs.answers(`{"outcome":"signatory"}`)
		if _, a, err := e.authorize(buyer, 10000); err != nil || a.State != session.StateAwaitingSignatory {
			t.Errorf("signatory by the service: %+v, %v", a, err)
		}
		cs.answers(`{"outcome":"rejected","rule":"score.low"}`)
		_, _, err = e.authorize(buyer, 10000)
		wantRejected(t, "rejected by the service", err)
		cs.answers(`{"outcome":"approved"}`)
		if _, a, err := e.authorize(buyer, 1_000_001); err != nil || a.State != session.StateAwaitingSignatory {
			t.Errorf("above the merchant's signatory threshold, approved by the service: %+v, %v; want the rules' signatory", a, err)
		}
		asked := cs.calls()
		_, _, err = e.authorize(buyer, 5_000_001)
		wantRejected(t, "above the limit", err)
		_, _, err = e.authorize(risk.BlockedCompany, 100)
		wantRejected(t, "the sandbox's blocked company", err)
		if _, _, err := e.authorize(risk.ManualReviewCompany, 100); err != nil {
			t.Errorf("the sandbox's manual review company: %v", err)
		}
		if cs.calls() != asked {
			t.Errorf("the service was asked %d times when the rules decided", cs.calls()-asked)
		}

		// No usable answer is a refusal, recorded with what went wrong.
		blocked := make(chan struct{})
		t.Cleanup(func() { close(blocked) })
		unusable := []struct {
			name, why string
			answer    func(w http.ResponseWriter, r *http.Request)
		}{
			{"timeout", "no answer within 100ms", func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-blocked:
				}
			}},
			{"server error", "status 500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "oops", 500) }},
			{"redirect", "status 307", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
			}},
			{"not JSON", "not the expected JSON", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "yes") }},
			{"wrong type", "not the expected JSON", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"outcome":1}`) }},
			{"unknown outcome", "none of approved", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"outcome":"maybe"}`) }},
			{"no outcome", "none of approved", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{}`) }},
			{"bad rule", "rule", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"outcome":"approved","rule":"a b"}`) }},
			{"too large", "larger than", func(w http.ResponseWriter, _ *http.Request) {
				io.WriteString(w, `{"outcome":"approved","rule":"x","pad":"`+strings.Repeat("x", 70_000)+`"}`)
			}},
		}
		for _, u := range unusable {
			cs.mu.Lock()
			cs.answer = u.answer
			cs.mu.Unlock()
			_, _, err := e.authorize(buyer, 10000)
			wantRejected(t, u.name, err)
		}

		ds := e.decisions()
		type summary struct{ Provider, Outcome, Rule string }
		var got []summary
		for _, d := range ds {
			got = append(got, summary{d.Provider, d.Outcome, d.Rule})
		}
		svcName, rules := risk.ProviderCreditService, risk.ProviderRules
		want := []summary{
			{svcName, risk.Approved, "score.high"},
			{svcName, risk.Signatory, "creditService"},
			{svcName, risk.Rejected, "score.low"},
			{rules, risk.Signatory, risk.RuleSignatoryThreshold},
			{rules, risk.Rejected, risk.RuleCreditLimit},
			{rules, risk.Rejected, risk.RuleTestCompany},
			{rules, risk.Approved, risk.RuleTestCompany},
		}
		for range unusable {
			want = append(want, summary{svcName, risk.Rejected, provider.RuleCreditServiceUnavailable})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decisions (-want +got):\n%s", diff)
		}
		for i, u := range unusable {
			if d := ds[len(ds)-len(unusable)+i]; !strings.Contains(d.Reason, u.why) {
				t.Errorf("%s: recorded reason %q, want it to say %q", u.name, d.Reason, u.why)
			}
		}
	})
}

// A policy that names the credit service on a deployment without one
// (it was set where there was one) refuses credit.
func TestCreditServiceMissing(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		e.update(func(ctx context.Context, tx store.Tx) error {
			_, err := tx.PutCreditPolicy(ctx, e.merchant, risk.Settings{Provider: risk.ProviderCreditService}, t0)
			return err
		})
		_, _, err := e.authorize(kassatest.Buyer.CompanyID, 100)
		wantRejected(t, "authorizing without the service", err)
		if ds := e.decisions(); len(ds) != 1 || ds[0].Rule != provider.RuleCreditServiceUnavailable || ds[0].Reason != "this deployment has no credit service" {
			t.Errorf("decisions %+v, want the refusal for want of a service", ds)
		}
	})
}

// The dialog's assessment before the buyer confirms decides nothing and
// is not recorded.
func TestAssessmentIsNotRecorded(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		lines, totals := desk(100)
		cur := "SEK"
		e.update(func(ctx context.Context, tx store.Tx) error {
			ps, err := e.app.CreateSession(ctx, tx, e.merchant, session.Params{Currency: &cur, Lines: lines, Totals: totals})
			if err != nil {
				return err
			}
			_, d, err := e.app.Assess(ctx, tx, ps, kassatest.Buyer, e.app.Env())
			if err == nil && d.Outcome != risk.Approved {
				t.Errorf("assessment %+v, want approved", d)
			}
			return err
		})
		if ds := e.decisions(); len(ds) != 0 {
			t.Errorf("decisions %+v, want none", ds)
		}
	})
}

// NewCreditService takes absolute http(s) URLs and timeouts within its
// bounds only.
func TestNewCreditService(t *testing.T) {
	for _, tc := range []struct {
		url     string
		timeout time.Duration
		ok      bool
	}{
		{"https://credit.internal/decide", 2 * time.Second, true},
		{"http://127.0.0.1:9000", provider.MaxCreditServiceTimeout, true},
		{"ftp://credit.internal", time.Second, false},
		{"/decide", time.Second, false},
		{"https://credit.internal", provider.MinCreditServiceTimeout - 1, false},
		{"https://credit.internal", provider.MaxCreditServiceTimeout + 1, false},
	} {
		if _, err := provider.NewCreditService(tc.url, tc.timeout, ""); (err == nil) != tc.ok {
			t.Errorf("NewCreditService(%q, %s) = %v, want ok %v", tc.url, tc.timeout, err, tc.ok)
		}
	}
}
