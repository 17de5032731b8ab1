package api_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// message is a queued e-mail that is not a document's, opened.
type message struct{ to, subject, body string }

// messages lists merchant A's queued messages, oldest first, with their
// bodies opened with the key-encryption key.
func (e *env) messages() []message {
	e.t.Helper()
	var ms []store.Mail
	err := e.store.View(context.Background(), func(tx store.ReadTx) (err error) {
		ms, err = tx.Mails(context.Background(), e.a.merchantID, 100)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []message
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if m.DocumentID != "" {
			continue
		}
		b, err := kassatest.KEK().Open(m.Body, store.MailBodyContext(m.ID))
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, message{strings.Join(m.To, ","), m.Subject, string(b)})
	}
	return out
}

var (
	signingLink = regexp.MustCompile(`https://kassa\.test(/payments/sign/\S+)`)
	oneTimeCode = regexp.MustCompile(`engångskod är (\d{6})`) // the session is sv-SE
)

// parkForSignatory sets merchant A's signatory threshold below the cart's
// total (live mode has no test companies), has the buyer's dialog
// confirm naming Sara as the signatory, and returns the session's ID.
// Every answer the buyer's browser got is checked for a signing link.
func (e *env) parkForSignatory(t *testing.T) string {
	e.must(200, request{method: "PUT", path: "/v1/credit-policy", body: map[string]any{"signatoryAbove": map[string]any{"SEK": 5000}}})
	id := e.session(cart(line("A", 1, 10000)))
	var seen []string
	_, page := e.page("/payments/dialog/" + id)
	seen = append(seen, page)
	if !strings.Contains(page, `data-signatories="email"`) || !strings.Contains(page, `id="signatory-email"`) {
		t.Fatalf("live dialog does not ask for the signatory:\n%s", page)
	}
	tok := dialogToken.FindStringSubmatch(page)[1]
	same := map[string]string{"Sec-Fetch-Site": "same-origin"}
	r := e.dialogPost(id, "assess", tok, same, map[string]any{"customer": buyer})
	seen = append(seen, string(r.body))
	if !strings.Contains(string(r.body), `"outcome":"signatory"`) {
		t.Fatalf("assess = %d %s, want the signatory outcome", r.status, r.body)
	}
	for _, tt := range []struct {
		signatory map[string]any
		param     string
	}{
		{nil, "signatory.name"},
		{map[string]any{"name": "Sven", "email": "Buyer@Example.com"}, "signatory.email"}, // the buyer's own address
		{map[string]any{"name": "Sara", "email": "sara"}, "signatory.email"},
	} {
		r := e.dialogPost(id, "confirm", tok, same, map[string]any{"customer": buyer, "signatory": tt.signatory})
		seen = append(seen, string(r.body))
		if r.status != 400 || !strings.Contains(string(r.body), tt.param) {
			t.Errorf("confirm with signatory %v = %d %s, want 400 naming %s", tt.signatory, r.status, r.body, tt.param)
		}
	}
	if ps := e.storedSession(id); ps.State != session.StateCreated || ps.Signatory != nil {
		t.Fatalf("refused confirmations changed the session: %s, %+v", ps.State, ps.Signatory)
	}
	r = e.dialogPost(id, "confirm", tok, same, map[string]any{"customer": buyer, "signatory": map[string]any{"name": "Sara Signer", "email": "sara@buyer.example"}})
	seen = append(seen, string(r.body))
	if r.status != 200 || !strings.Contains(string(r.body), `"state":"awaitingSignatory"`) {
		t.Fatalf("confirm = %d %s, want awaitingSignatory", r.status, r.body)
	}
	seen = append(seen, string(e.dialogPost(id, "close", tok, same, map[string]any{}).body))
	_, status := e.page("/payments/dialog/" + id + "/status")
	_, again := e.page("/payments/dialog/" + id)
	seen = append(seen, status, again, string(e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + id}).body))
	for _, body := range seen {
		if strings.Contains(body, "/payments/sign/") {
			t.Fatalf("the buyer's browser or the merchant's API received the signing link:\n%s", body)
		}
	}
	return id
}

// In live mode the buyer names the signatory, who alone gets the signing
// link, by e-mail, and must prove to be the person named (a one-time code
// sent to them separately) before approving; the order's authorize event
// says who approved and how.
func TestLiveSignatory(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t, live())
		id := e.parkForSignatory(t)
		ms := e.messages()
		if len(ms) != 1 || ms[0].to != "sara@buyer.example" || !strings.Contains(ms[0].body, "Hej Sara Signer") || !strings.Contains(ms[0].body, "Buyer AB") {
			t.Fatalf("messages = %+v, want the signing link to Sara", ms)
		}
		path := signingLink.FindStringSubmatch(ms[0].body)[1]
		_, page := e.page(path)
		if strings.Contains(page, `id="approve"`) || !strings.Contains(page, `id="send-code"`) || !strings.Contains(page, "s•••@buyer.example") {
			t.Fatalf("unverified signing page offers approval or no code:\n%s", page)
		}
		tok := signToken.FindStringSubmatch(page)[1]
		post := func(action string, extra ...string) string {
			t.Helper()
			v := url.Values{"token": {tok}, "action": {action}}
			if len(extra) == 2 {
				v.Set(extra[0], extra[1])
			}
			return e.form(path, v, nil).Header.Get("Location")
		}
		for _, action := range []string{"approve", "decline"} {
			if r := e.form(path, url.Values{"token": {tok}, "action": {action}}, nil); r.StatusCode != 403 {
				t.Errorf("%s before verifying = %d, want 403", action, r.StatusCode)
			}
		}
		if r := e.form(path, url.Values{"token": {tok}, "action": {"verifyCode"}, "code": {"123456"}}, nil); r.StatusCode != 409 {
			t.Errorf("a code before one was sent = %d, want 409", r.StatusCode)
		}
		if loc := post("sendCode"); !strings.HasSuffix(loc, "?done=sendCode") {
			t.Fatalf("send code went to %q", loc)
		}
		ms = e.messages()
		if len(ms) != 2 || ms[1].to != "sara@buyer.example" || !oneTimeCode.MatchString(ms[1].body) || strings.Contains(ms[1].body, "/payments/sign/") {
			t.Fatalf("messages = %+v, want a code, without the link, to Sara", ms)
		}
		code := oneTimeCode.FindStringSubmatch(ms[1].body)[1]
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if r := e.form(path, url.Values{"token": {tok}, "action": {"verifyCode"}, "code": {"12ab"}}, nil); r.StatusCode != 400 {
			t.Errorf("a malformed code = %d, want 400", r.StatusCode)
		}
		if loc := post("verifyCode", "code", wrong); !strings.HasSuffix(loc, "?done=wrongCode") {
			t.Fatalf("a wrong code went to %q", loc)
		}
		if _, page := e.page(path + "?done=wrongCode"); !strings.Contains(page, "Koden stämmer inte") || !strings.Contains(page, "4 försök kvar") || strings.Contains(page, `id="approve"`) {
			t.Errorf("page after a wrong code:\n%s", page)
		}
		if loc := post("verifyCode", "code", code); !strings.HasSuffix(loc, "?done=verified") {
			t.Fatalf("the right code went to %q", loc)
		}
		if _, page := e.page(path); !strings.Contains(page, `id="approve"`) || !strings.Contains(page, "Identifierad: Sara Signer") {
			t.Fatalf("verified signing page offers no approval:\n%s", page)
		}
		post("approve")
		ps := e.storedSession(id)
		if ps.State != session.StateAuthorized || ps.Approval == nil || ps.Approval.Method != order.VerifiedByEmailCode || ps.Approval.Email != "sara@buyer.example" {
			t.Fatalf("after approval: %s, %+v", ps.State, ps.Approval)
		}
		var created struct{ OrderID string }
		e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + ps.Token + "/order", body: withCustomer(cart(line("A", 1, 10000)), buyer)}).decode(t, &created)
		oid := created.OrderID
		var o struct {
			Events []struct {
				Type      string
				Signatory *struct{ Name, Email, Method, At string }
			}
		}
		e.must(200, request{method: "GET", path: "/v1/orders/" + oid}).decode(t, &o)
		var got *struct{ Name, Email, Method, At string }
		for _, ev := range o.Events {
			if ev.Type == order.EventAuthorize {
				got = ev.Signatory
			}
		}
		if got == nil || got.Name != "Sara Signer" || got.Email != "sara@buyer.example" || got.Method != "emailCode" || got.At == "" {
			t.Errorf("the order's authorize event's signatory = %+v", got)
		}
	})
}

// fakeIdentity is an identity provider that verifies whoever comes back
// with ok=1; it names the person as its answer does.
type fakeIdentity struct{}

func (fakeIdentity) Method() string { return "testid" }

func (fakeIdentity) Begin(_ context.Context, req provider.IdentityRequest) (string, error) {
	return "https://idp.test/authorize?" + url.Values{"state": {req.State}, "return": {req.ReturnURL}, "company": {req.CompanyID}}.Encode(), nil
}

func (fakeIdentity) Finish(_ context.Context, _ provider.IdentityRequest, answer url.Values) (session.Identity, error) {
	if answer.Get("ok") != "1" {
		return session.Identity{}, errors.New("not verified")
	}
	return session.Identity{Subject: answer.Get("subject"), Name: answer.Get("name")}, nil
}

// With an identity provider, the signing page verifies through it: the
// signatory approves once it answered for them, and its subject is on
// the order's approval.
func TestLiveSignatoryIdentityProvider(t *testing.T) {
	e := newEnv(t, live(), withProvider(func(c *provider.Config) { c.Identity = fakeIdentity{} }))
	id := e.parkForSignatory(t)
	path := signingLink.FindStringSubmatch(e.messages()[0].body)[1]
	_, page := e.page(path)
	if !strings.Contains(page, "Identifiera dig med testid") || strings.Contains(page, `id="send-code"`) {
		t.Fatalf("signing page with an identity provider:\n%s", page)
	}
	tok := signToken.FindStringSubmatch(page)[1]
	r := e.form(path, url.Values{"token": {tok}, "action": {"identity"}}, nil)
	to, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != 303 || to.Host != "idp.test" || to.Query().Get("return") != "https://kassa.test"+path+"/identity" || to.Query().Get("company") != "559311-3714" {
		t.Fatalf("identity = %d to %q", r.StatusCode, to)
	}
	state := to.Query().Get("state")
	back := func(q url.Values) int {
		resp, _ := e.page(path + "/identity?" + q.Encode())
		return resp.StatusCode
	}
	if got := back(url.Values{"state": {"forged"}, "ok": {"1"}, "subject": {"x"}}); got != 401 {
		t.Errorf("an answer with another state = %d, want 401", got)
	}
	if got := back(url.Values{"state": {state}}); got != 401 {
		t.Errorf("a refusal = %d, want 401", got)
	}
	if ps := e.storedSession(id); ps.Signatory.Verified != nil {
		t.Fatalf("refused answers verified the signatory: %+v", ps.Signatory.Verified)
	}
	if got := back(url.Values{"state": {state}, "ok": {"1"}, "subject": {"19800101-1234"}, "name": {"Sara Signér"}}); got != 200 {
		t.Fatalf("the provider's verification = %d, want the page (200 after the redirect)", got)
	}
	if r := e.form(path, url.Values{"token": {tok}, "action": {"approve"}}, nil); r.StatusCode != 303 {
		t.Fatalf("approve = %d", r.StatusCode)
	}
	if a := e.storedSession(id).Approval; a == nil || a.Method != "testid" || a.Subject != "19800101-1234" || a.Name != "Sara Signér" {
		t.Errorf("approval = %+v", a)
	}
}
