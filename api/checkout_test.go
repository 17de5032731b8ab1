package api_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
)

// page GETs a public (unauthenticated) page.
func (e *env) page(path string) (*http.Response, string) {
	e.t.Helper()
	resp, err := http.Get(e.http.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var dialogToken = regexp.MustCompile(`data-token="([^"]+)"`)

// openDialog loads a session's dialog and returns its token.
func (e *env) openDialog(id string) string {
	e.t.Helper()
	resp, body := e.page("/payments/dialog/" + id)
	if resp.StatusCode != 200 {
		e.t.Fatalf("dialog = %d %s", resp.StatusCode, body)
	}
	m := dialogToken.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("dialog has no token:\n%s", body)
	}
	return m[1]
}

func (e *env) dialogPost(id, action, token string, header map[string]string, body any) response {
	e.t.Helper()
	h := map[string]string{"X-Kassa-Dialog": token}
	for k, v := range header {
		h[k] = v
	}
	return e.do(request{method: "POST", path: "/payments/dialog/" + id + "/" + action, header: h, body: body})
}

func TestDialogPage(t *testing.T) {
	e := newEnv(t)
	c := cart(line("A", 1, 10000))
	c["settings"] = map[string]any{"urls": map[string]any{"confirmation": "https://shop.example/thanks?o={order_id}"}}
	id := e.session(c)
	resp, body := e.page("/payments/dialog/" + id)
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'self' https://shop.example") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("dialog CSP = %q, want frame-ancestors of Kassa and the merchant's origin only", csp)
	}
	for _, want := range []string{"Merchant A", "Item A", "SEK 100.00", `data-state="open"`, `role="dialog"`, `aria-modal="true"`, `data-origins="[&#34;https://shop.example&#34;]"`} {
		if !strings.Contains(body, want) {
			t.Errorf("dialog page lacks %q", want)
		}
	}
	if resp, _ := e.page("/payments/dialog/ps_nosuchsession"); resp.StatusCode != 404 {
		t.Errorf("dialog of an unknown session = %d, want 404", resp.StatusCode)
	}
	resp, _ = e.page("/bootstrap.js")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("bootstrap.js Content-Type = %q", ct)
	}
}

func TestDialogRequestsAreProtected(t *testing.T) {
	e := newEnv(t)
	id := e.session(cart(line("A", 1, 10000)))
	other := e.session(cart(line("A", 1, 10000)))
	tok := e.openDialog(id)
	body := map[string]any{"customer": buyer}
	tests := []struct {
		name   string
		token  string
		header map[string]string
	}{
		{"no token", "", nil},
		{"forged token", "abc.def", nil},
		{"another session's token", e.openDialog(other), nil},
		{"cross-site fetch", tok, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"foreign origin", tok, map[string]string{"Origin": "https://evil.example"}},
	}
	for _, tt := range tests {
		if r := e.dialogPost(id, "confirm", tt.token, tt.header, body); r.status != 401 {
			t.Errorf("%s: confirm = %d %s, want 401", tt.name, r.status, r.body)
		}
	}
	if ps := e.storedSession(id); ps.State != session.StateCreated || len(ps.Events) != 0 {
		t.Errorf("refused requests changed the session: state %s, events %v", ps.State, ps.Events)
	}
}

func TestDialogAssessAndConfirm(t *testing.T) {
	e := newEnv(t)
	id := e.session(cart(line("A", 1, 10000)))
	tok := e.openDialog(id)
	same := map[string]string{"Sec-Fetch-Site": "same-origin"}

	var a struct {
		Outcome, CompanyID, CompanyName string
		PaymentMethods                  []string
	}
	e.must(200, request{method: "POST", path: "/payments/dialog/" + id + "/assess", header: map[string]string{"X-Kassa-Dialog": tok}, body: map[string]any{"customer": buyer}}).decode(t, &a)
	if a.Outcome != risk.Approved || a.CompanyID != "559311-3714" || a.CompanyName != "Buyer AB" || len(a.PaymentMethods) != 2 {
		t.Errorf("assess = %+v, want approved for Buyer AB with two payment methods", a)
	}
	if r := e.dialogPost(id, "confirm", tok, same, map[string]any{"customer": buyer, "paymentMethod": "cash"}); r.status != 400 {
		t.Errorf("confirm with an unknown payment method = %d %s, want 400", r.status, r.body)
	}
	var c struct{ State, Status, AuthorizationToken, AuthToken string }
	r := e.dialogPost(id, "confirm", tok, same, map[string]any{"customer": buyer})
	if r.status != 200 {
		t.Fatalf("confirm = %d %s", r.status, r.body)
	}
	r.decode(t, &c)
	if c.State != "authorized" || c.Status != c.State || !strings.HasPrefix(c.AuthorizationToken, "at_") || c.AuthToken != c.AuthorizationToken {
		t.Errorf("confirm = %+v, want authorized with the token under both names", c)
	}
	if ps := e.storedSession(id); ps.Assessments() != 2 || ps.Token != c.AuthorizationToken {
		t.Errorf("session has %d assessments and token %q, want 2 and %q", ps.Assessments(), ps.Token, c.AuthorizationToken)
	}
	// Once the order exists, the dialog has nothing left to do.
	e.must(200, request{method: "POST", path: "/v1/authorization-tokens/" + c.AuthorizationToken + "/order", body: withCustomer(cart(line("A", 1, 10000)), buyer)})
	if _, body := e.page("/payments/dialog/" + id); !strings.Contains(body, `data-state="completed"`) {
		t.Errorf("dialog of an ordered session is not completed")
	}
	if r := e.dialogPost(id, "confirm", tok, same, map[string]any{"customer": buyer}); r.status != 409 {
		t.Errorf("confirm after the order = %d %s, want 409", r.status, r.body)
	}
}

func TestSigningLink(t *testing.T) {
	e := newEnv(t)
	signatory := map[string]any{}
	for k, v := range buyer {
		signatory[k] = v
	}
	signatory["companyId"] = risk.SignatoryCompany
	park := func() (string, string) {
		id := e.session(cart(line("A", 1, 10000)))
		e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + id + "/authorize", body: map[string]any{"customer": signatory}})
		var s struct{ State, SignatoryURL string }
		e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + id}).decode(t, &s)
		if s.State != "awaitingSignatory" || !strings.HasPrefix(s.SignatoryURL, "https://kassa.test/payments/sign/"+id+"/") {
			t.Fatalf("session = %+v, want awaitingSignatory with a signing link", s)
		}
		u, _ := url.Parse(s.SignatoryURL)
		return id, u.Path
	}
	form := func(path string, values url.Values, header map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", e.http.URL+path, strings.NewReader(values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	signToken := regexp.MustCompile(`name="token" value="([^"]+)"`)

	id, path := park()
	resp, body := e.page(path)
	if resp.StatusCode != 200 || resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(body, `id="approve"`) {
		t.Fatalf("signing page = %d (X-Frame-Options %q), want 200, DENY and an approve button", resp.StatusCode, resp.Header.Get("X-Frame-Options"))
	}
	if !strings.Contains(body, "<td>Item A</td>") {
		t.Errorf("signing page does not list the order's lines:\n%s", body)
	}
	if resp, _ := e.page(path[:strings.LastIndex(path, "/")] + "/forged"); resp.StatusCode != 404 {
		t.Errorf("signing page with a forged MAC = %d, want 404", resp.StatusCode)
	}
	tok := signToken.FindStringSubmatch(body)[1]
	if r := form(path, url.Values{"token": {"x.y"}, "action": {"approve"}}, nil); r.StatusCode != 401 {
		t.Errorf("approve without the page's token = %d, want 401", r.StatusCode)
	}
	if r := form(path, url.Values{"token": {tok}, "action": {"approve"}}, map[string]string{"Origin": "https://evil.example"}); r.StatusCode != 401 {
		t.Errorf("approve from another site = %d, want 401", r.StatusCode)
	}
	if r := form(path, url.Values{"token": {tok}, "action": {"approve"}}, nil); r.StatusCode != 303 {
		t.Fatalf("approve = %d, want 303", r.StatusCode)
	}
	ps := e.storedSession(id)
	if ps.State != session.StateAuthorized || ps.Events[len(ps.Events)-1].Type != session.EventAuthorizationCreate {
		t.Errorf("after approval: state %s, events %v; want authorized with %s last", ps.State, ps.Events, session.EventAuthorizationCreate)
	}
	if _, body := e.page(path); !strings.Contains(body, "Approved.") {
		t.Errorf("signing page after approval does not say Approved")
	}
	// The merchant is notified as Ledyer does: pending, then create with the token.
	var ns struct {
		Data []struct {
			EventType string
			Payload   struct{ AuthorizationToken string }
		}
	}
	e.must(200, request{method: "GET", path: "/v1/notifications?sessionId=" + id}).decode(t, &ns)
	var got []string
	for _, n := range ns.Data {
		got = append(got, n.EventType+" "+n.Payload.AuthorizationToken)
	}
	want := []string{"com.ledyer.authorization.create " + ps.Token, "com.ledyer.authorization.pending "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notifications of the signed session mismatch (-want +got):\n%s", diff)
	}

	// Declining cancels the session and gives the credit back.
	id, path = park()
	_, body = e.page(path)
	if r := form(path, url.Values{"token": {signToken.FindStringSubmatch(body)[1]}, "action": {"decline"}}, nil); r.StatusCode != 303 {
		t.Fatalf("decline = %d, want 303", r.StatusCode)
	}
	var s struct{ State string }
	e.must(200, request{method: "GET", path: "/v1/payment-sessions/" + id}).decode(t, &s)
	if s.State != "cancelled" {
		t.Errorf("session after decline = %s, want cancelled", s.State)
	}
	if _, body := e.page(path); !strings.Contains(body, "The signatory declined this purchase") {
		t.Errorf("signing page after decline does not say so")
	}
}

// TestUpdateKeepsFrameOrigin: an update that sends settings.security alone,
// as LP's does, keeps the URLs, and with them who may frame the dialog.
func TestUpdateKeepsFrameOrigin(t *testing.T) {
	e := newEnv(t)
	c := cart(line("A", 1, 10000))
	c["settings"] = map[string]any{"urls": map[string]any{"confirmation": "https://shop.example/thanks"}}
	id := e.session(c)
	upd := cart(line("B", 1, 20000))
	upd["settings"] = map[string]any{"security": map[string]any{"level": 110}}
	e.must(200, request{method: "POST", path: "/v1/payment-sessions/" + id, body: upd})
	resp, _ := e.page("/payments/dialog/" + id)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' https://shop.example") {
		t.Errorf("dialog CSP after an update = %q, want the shop's origin kept", csp)
	}
}

// TestDialogBadInput: malformed dialog and demo requests get a 4xx with a
// code, never a 5xx, and leave the session as it was.
func TestDialogBadInput(t *testing.T) {
	e := newEnv(t)
	id := e.session(cart(line("A", 1, 10000)))
	tok := e.openDialog(id)
	noCompany := map[string]any{}
	for k, v := range buyer {
		noCompany[k] = v
	}
	delete(noCompany, "companyId")
	bodies := []any{
		`{`, `null`, `42`, `[1]`, `{"customer":[]}`, `{"customer":{"companyId":7}}`, "\x00\xff",
		strings.Repeat("[", 10000), map[string]any{"customer": noCompany},
		map[string]any{"customer": map[string]any{"companyId": "123"}},
	}
	for _, path := range []string{"/payments/dialog/" + id + "/assess", "/payments/dialog/" + id + "/confirm", "/demo/shop/order", "/demo/shop/update", "/demo/shop/nothing"} {
		for _, b := range bodies {
			r := e.do(request{method: "POST", path: path, body: b, header: map[string]string{"X-Kassa-Dialog": tok}})
			if r.status < 400 || r.status >= 500 || r.code() == "" {
				t.Errorf("POST %s with %.40v = %d %s, want a 4xx with a code", path, b, r.status, r.body)
			}
		}
	}
	if ps := e.storedSession(id); ps.State != session.StateCreated || len(ps.Events) != 0 || ps.Amount != 10000 {
		t.Errorf("bad requests changed the session: %+v", ps)
	}
}
