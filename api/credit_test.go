package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/risk"
)

// param is the member an error response names.
func (r response) param() string {
	var e struct{ Errors []struct{ Param string } }
	json.Unmarshal(r.body, &e)
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Param
}

func buyerOf(company string) map[string]any {
	b := maps.Clone(buyer)
	b["companyId"] = company
	return b
}

// The credit policy through the API: the defaults until one is set, a
// PUT that replaces it and answers it, validated member by member with
// nothing stored on error, idempotent with a key, and each merchant's
// its own.
func TestCreditPolicyAPI(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		defaults := `{"creditLimits":{},"signatoryAbove":{},"companies":[],"blocklist":[],"orderEditAboveAuthorized":"creditCheck","decisionProvider":"rules","paymentTerms":30,"version":0}`
		get := func(as *creds) string {
			return string(e.must(200, request{method: "GET", path: "/v1/credit-policy", as: as}).body)
		}
		if got := get(nil); got != defaults {
			t.Errorf("GET without a policy = %s, want %s", got, defaults)
		}
		policy := `{"creditLimits":{"SEK":1500000,"eur":50000},"signatoryAbove":{"SEK":1000000},
			"companies":[{"companyId":"5566778899","creditLimits":{"SEK":30000000}},{"companyId":"556123-4567","blocked":true}],
			"blocklist":["556765-4321"],"paymentTerms":20,"orderEditAboveAuthorized":"refuse"}`
		put := e.must(200, request{method: "PUT", path: "/v1/credit-policy", body: policy, header: map[string]string{"Idempotency-Key": "p1"}})
		want := `{"creditLimits":{"EUR":50000,"SEK":1500000},"signatoryAbove":{"SEK":1000000},` +
			`"companies":[{"companyId":"556677-8899","creditLimits":{"SEK":30000000}},{"companyId":"556123-4567","blocked":true}],` +
			`"blocklist":["556765-4321"],"orderEditAboveAuthorized":"refuse","decisionProvider":"rules","paymentTerms":20,"version":1,"updatedAt":"2026-03-04T10:00:00Z"}`
		if string(put.body) != want {
			t.Errorf("PUT = %s\nwant  %s", put.body, want)
		}
		if got := get(nil); got != want {
			t.Errorf("GET after PUT = %s\nwant          %s", got, want)
		}
		replay := e.must(200, request{method: "PUT", path: "/v1/credit-policy", body: policy, header: map[string]string{"Idempotency-Key": "p1"}})
		if replay.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(replay.body, put.body) || get(nil) != want {
			t.Errorf("replayed PUT = %s (replayed %q); the policy is now %s", replay.body, replay.header.Get("Idempotent-Replayed"), get(nil))
		}
		var terms struct{ PaymentTerms int }
		e.must(200, request{method: "GET", path: "/v1/invoice-settings"}).decode(t, &terms)
		if terms.PaymentTerms != 20 {
			t.Errorf("invoice settings' paymentTerms = %d, want the policy's 20", terms.PaymentTerms)
		}
		if got := get(&e.b); got != defaults {
			t.Errorf("the other merchant's policy = %s, want the defaults", got)
		}

		for _, tc := range []struct{ body, param string }{
			{`{"creditLimit":{"SEK":1}}`, "creditLimit"},
			{`{"companies":[{"companyId":"556677-8899","limit":5}]}`, "limit"},
			{`{"creditLimits":{"SEK":-1}}`, "creditLimits.SEK"},
			{`{"creditLimits":{"SEKK":1}}`, "creditLimits.SEKK"},
			{`{"creditLimits":{"SEK":"lots"}}`, "creditLimits"},
			{`{"creditLimits":{"SEK":1.5}}`, "creditLimits"},
			{`{"signatoryAbove":{"SEK":100000000000000000}}`, "signatoryAbove.SEK"},
			{`{"companies":[{"companyId":""}]}`, "companies[0].companyId"},
			{`{"companies":[{"companyId":"556677-8899"}]}`, "companies[0]"},
			{`{"companies":[{"companyId":"556677-8899","blocked":true,"creditLimits":{"SEK":1}}]}`, "companies[0].creditLimits"},
			{`{"blocklist":["556677-8899","5566778899"]}`, "blocklist[1]"},
			{`{"blocklist":"556677-8899"}`, "blocklist"},
			{`{"paymentTerms":400}`, "paymentTerms"},
			{`{"orderEditAboveAuthorized":"sometimes"}`, "orderEditAboveAuthorized"},
			{`{"decisionProvider":"creditService"}`, "decisionProvider"},
			{`{"decisionProvider":"oracle"}`, "decisionProvider"},
			{``, ""}, {`null`, ""}, {`[]`, ""}, {`{} {}`, ""}, {`{`, ""},
		} {
			r := e.do(request{method: "PUT", path: "/v1/credit-policy", body: tc.body})
			if r.status != 400 || r.code() != "invalid_request" || r.param() != tc.param {
				t.Errorf("PUT %s = %d %s, want 400 invalid_request naming %q", tc.body, r.status, r.body, tc.param)
			}
		}
		if got := get(nil); got != want {
			t.Errorf("refused PUTs changed the policy to %s", got)
		}
	})
}

// The policy decides authorizations through the API: a blocked company
// and one over the merchant's limit are declined (402), and a currency
// the merchant set no limit for has the default.
func TestCreditPolicyDecides(t *testing.T) {
	e := newEnv(t)
	e.must(200, request{method: "PUT", path: "/v1/credit-policy", body: `{"creditLimits":{"SEK":500000},"blocklist":["556765-4321"]}`})
	if r := e.sandboxAuthorize(e.session(cart(line("A", 1, 100))), buyerOf("556765-4321")); r.status != 402 || r.code() != "rejected" {
		t.Errorf("a blocked company = %d %s, want 402 rejected", r.status, r.body)
	}
	if r := e.sandboxAuthorize(e.session(cart(line("A", 1, 500_001))), buyer); r.status != 402 || r.code() != "rejected" {
		t.Errorf("over the merchant's limit = %d %s, want 402 rejected", r.status, r.body)
	}
	e.authorize(e.session(cart(line("A", 1, 500_000))), buyer)
	eur := cart(line("A", 1, 900_000))
	eur["currency"] = "EUR"
	e.authorize(e.session(eur), buyer)
}

// Credit decisions through the API: newest first, filtered by company
// and outcome, a page at a time, with clear 400s for bad parameters.
func TestCreditDecisionsAPI(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		type decision struct {
			ID, Kind, SessionID, CompanyID, Currency, Provider, Outcome, Rule, Reason string
			Amount, Exposure, CreditLimit, SignatoryAbove, PolicyVersion              int64
			Sandbox                                                                   bool
		}
		type page struct {
			Data       []decision
			NextCursor string
		}
		// Six decisions: alternately an ordinary company (approved) and
		// the blocked test company (rejected, answered 402).
		var sessions []string
		for i := range 6 {
			id := e.session(cart(line("A", 1, int64(100+i))))
			sessions = append(sessions, id)
			if i%2 == 0 {
				e.authorize(id, buyer)
			} else if r := e.sandboxAuthorize(id, buyerOf(risk.BlockedCompany)); r.status != 402 {
				t.Fatalf("blocked company = %d %s", r.status, r.body)
			}
		}
		list := func(query string) page {
			var p page
			e.must(200, request{method: "GET", path: "/v1/credit-decisions" + query}).decode(t, &p)
			return p
		}
		all := list("")
		if len(all.Data) != 6 || all.NextCursor != "" {
			t.Fatalf("all decisions: %d, next %q; want 6 and no next page", len(all.Data), all.NextCursor)
		}
		for i, d := range all.Data {
			s := sessions[5-i]
			wantOutcome, wantRule, company := risk.Approved, risk.RuleWithinPolicy, "559311-3714"
			if (5-i)%2 == 1 {
				wantOutcome, wantRule, company = risk.Rejected, risk.RuleTestCompany, risk.BlockedCompany
			}
			if d.SessionID != s || d.Kind != "authorization" || d.Outcome != wantOutcome || d.Rule != wantRule || d.CompanyID != company ||
				d.Amount != int64(105-i) || d.Currency != "SEK" || d.Provider != "rules" || d.CreditLimit != 100_000_000 || !d.Sandbox || !strings.HasPrefix(d.ID, "cd_") {
				t.Errorf("decision %d = %+v, want session %s %s by %s", i, d, s, wantOutcome, wantRule)
			}
		}
		if p := list("?outcome=rejected"); len(p.Data) != 3 || p.Data[0].Outcome != risk.Rejected {
			t.Errorf("rejected decisions: %+v", p.Data)
		}
		if p := list("?companyId=5593113714&outcome=approved"); len(p.Data) != 3 || p.Data[2].SessionID != sessions[0] {
			t.Errorf("approved decisions of the ordinary company: %+v", p.Data)
		}
		var walked []string
		for q := "?limit=4"; ; {
			p := list(q)
			for _, d := range p.Data {
				walked = append(walked, d.ID)
			}
			if p.NextCursor == "" {
				break
			}
			q = "?limit=4&cursor=" + p.NextCursor
		}
		if len(walked) != 6 || fmt.Sprint(walked) != fmt.Sprint(ids(all.Data, func(d decision) string { return d.ID })) {
			t.Errorf("pages of 4 = %v, want %v", walked, ids(all.Data, func(d decision) string { return d.ID }))
		}
		if p := list("?limit=6"); p.NextCursor != "" {
			t.Errorf("a full last page has a next cursor %q", p.NextCursor)
		}
		if p := list(""); len(p.Data) == 0 {
			t.Fatal("no decisions")
		}
		if p := e.must(200, request{method: "GET", path: "/v1/credit-decisions", as: &e.b}); !strings.Contains(string(p.body), `"data":[]`) {
			t.Errorf("the other merchant's decisions = %s, want none", p.body)
		}
		for _, tc := range []struct{ query, param string }{
			{"?limit=0", "limit"}, {"?limit=101", "limit"}, {"?limit=x", "limit"},
			{"?outcome=maybe", "outcome"},
			{"?cursor=cd_nope", "cursor"},
		} {
			r := e.do(request{method: "GET", path: "/v1/credit-decisions" + tc.query})
			if r.status != 400 || r.param() != tc.param {
				t.Errorf("GET %s = %d %s, want 400 naming %s", tc.query, r.status, r.body, tc.param)
			}
		}
		// Another merchant's cursor is not one.
		if r := e.do(request{method: "GET", path: "/v1/credit-decisions?cursor=" + all.Data[0].ID, as: &e.b}); r.status != 400 || r.param() != "cursor" {
			t.Errorf("another merchant's cursor = %d %s, want 400 naming cursor", r.status, r.body)
		}
	})
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}
