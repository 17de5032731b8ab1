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
	resp, err := e.client.Get(e.http.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var (
	dialogToken = regexp.MustCompile(`data-token="([^"]+)"`)
	signToken   = regexp.MustCompile(`name="token" value="([^"]+)"`)
)

// form posts a page's form and returns the answer, not following a
// redirect.
func (e *env) form(path string, values url.Values, header map[string]string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.http.URL+path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: e.client.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

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
	for _, want := range []string{"Merchant A", "Item A", "100,00\u00a0kr", `lang="sv"`, `data-state="open"`, `role="dialog"`, `aria-modal="true"`, `data-origins="[&#34;https://shop.example&#34;]"`} {
		if !strings.Contains(body, want) {
			t.Errorf("dialog page lacks %q", want)
		}
	}
	if resp, body := e.page("/payments/dialog/ps_nosuchsession"); resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "This checkout cannot be shown") {
		t.Errorf("dialog of an unknown session = %d %s, want 404 and an HTML page:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
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
	form := e.form

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
	if _, body := e.page(path); !strings.Contains(body, "Godkänt.") {
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
	if _, body := e.page(path); !strings.Contains(body, "Firmatecknaren avslog köpet") {
		t.Errorf("signing page after decline does not say so")
	}
}

// TestUpdateKeepsFrameOrigin: an update that sends settings.security alone,
// as the WooCommerce Payments plugin's does, keeps the URLs, and with them who may frame the dialog.
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

// TestDialogStatus: what the SDK reads before it frames the dialog, from
// any origin: whether the session exists, what the dialog can do, and the
// shop origins that may frame it, serialized as browsers serialize theirs.
func TestDialogStatus(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		urls         map[string]any
		origin, from string
	}{
		{map[string]any{"confirmation": "https://Shop.Example:443/thanks", "notification": "https://hooks.example/n"}, "https://shop.example", "settings.urls.confirmation"},
		{map[string]any{"confirmation": "http://[::1]:8080/thanks"}, "http://[::1]:8080", "settings.urls.confirmation"},
		{map[string]any{"confirmation": "http://shop.example:80/thanks"}, "http://shop.example", "settings.urls.confirmation"},
		{map[string]any{"notification": "https://hooks.example:8443/n"}, "https://hooks.example:8443", "settings.urls.notification"},
	}
	var ids []string
	for _, tt := range tests {
		c := cart(line("A", 1, 10000))
		c["settings"] = map[string]any{"urls": tt.urls}
		id := e.session(c)
		ids = append(ids, id)
		r := e.must(200, request{method: "GET", path: "/payments/dialog/" + id + "/status", header: map[string]string{"Origin": "https://elsewhere.example"}})
		var got struct {
			State, FrameOriginsFrom string
			FrameOrigins            []string
		}
		r.decode(t, &got)
		if got.State != "open" || len(got.FrameOrigins) != 1 || got.FrameOrigins[0] != tt.origin || got.FrameOriginsFrom != tt.from || r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("status of a session with %v = %s %+v, want open with %s from %s, readable by any origin", tt.urls, r.header.Get("Access-Control-Allow-Origin"), got, tt.origin, tt.from)
		}
		resp, _ := e.page("/payments/dialog/" + id)
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' "+tt.origin+";") && !strings.HasSuffix(csp, "frame-ancestors 'self' "+tt.origin) {
			t.Errorf("dialog CSP = %q, want frame-ancestors of %s", csp, tt.origin)
		}
	}
	r := e.do(request{method: "GET", path: "/payments/dialog/ps_nosuchsession/status"})
	if r.status != 404 || r.code() == "" || r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("status of an unknown session = %d %s (CORS %q), want 404 with a code, readable by any origin", r.status, r.body, r.header.Get("Access-Control-Allow-Origin"))
	}
	e.clock.Advance(session.Lifetime)
	var got struct{ State string }
	e.must(200, request{method: "GET", path: "/payments/dialog/" + ids[0] + "/status"}).decode(t, &got)
	if got.State != "expired" {
		t.Errorf("status of an expired session = %q, want expired", got.State)
	}
}

// TestDialogClose: closing a dialog answers what that dialog placed, from
// the shop's origin, and refuses its confirmations from then on, so the
// answer is final. On both stores: the closing and a confirmation of the
// same dialog take turns on the session.
func TestDialogClose(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		same := map[string]string{"Sec-Fetch-Site": "same-origin"}
		signatory := map[string]any{}
		for k, v := range buyer {
			signatory[k] = v
		}
		signatory["companyId"] = risk.SignatoryCompany
		assess := func(id, tok string, customer map[string]any) {
			t.Helper()
			if r := e.dialogPost(id, "assess", tok, same, map[string]any{"customer": customer}); r.status != 200 {
				t.Fatalf("assess = %d %s", r.status, r.body)
			}
		}
		// closeDialog closes as the SDK does, from the shop's page.
		closeDialog := func(id, tok string) (state, token string) {
			t.Helper()
			r := e.dialogPost(id, "close", tok, map[string]string{"Origin": "https://shop.test", "Sec-Fetch-Site": "cross-site"}, map[string]any{})
			if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("close = %d %s (CORS %q), want 200 readable by the shop", r.status, r.body, r.header.Get("Access-Control-Allow-Origin"))
			}
			var o struct{ State, Status, AuthorizationToken, AuthToken string }
			r.decode(t, &o)
			if o.Status != o.State || o.AuthToken != o.AuthorizationToken {
				t.Errorf("close = %s, want status and authToken equal to state and authorizationToken", r.body)
			}
			return o.State, o.AuthorizationToken
		}

		// Closed after it assessed: its confirmation, arriving later, is refused.
		id := e.session(cart(line("A", 1, 10000)))
		a := e.openDialog(id)
		assess(id, a, buyer)
		if st, _ := closeDialog(id, a); st != "none" {
			t.Errorf("close of a dialog that placed nothing = %q, want none", st)
		}
		if r := e.dialogPost(id, "confirm", a, same, map[string]any{"customer": buyer}); r.status != 409 {
			t.Errorf("confirm of a closed dialog = %d %s, want 409", r.status, r.body)
		}
		if ps := e.storedSession(id); ps.State != session.StateCreated || ps.Token != "" {
			t.Errorf("session after the refused confirmation: state %s, token %q; want created without a token", ps.State, ps.Token)
		}

		// Another dialog of the session authorizes; its closing says so, each time.
		b := e.openDialog(id)
		assess(id, b, buyer)
		var c struct{ AuthorizationToken string }
		e.dialogPost(id, "confirm", b, same, map[string]any{"customer": buyer}).decode(t, &c)
		for range 2 {
			if st, tok := closeDialog(id, b); st != "authorized" || tok != c.AuthorizationToken || tok == "" {
				t.Errorf("close after confirming = %q, %q; want authorized, %q", st, tok, c.AuthorizationToken)
			}
		}
		// A dialog opened on the authorized session that did nothing placed nothing.
		if st, tok := closeDialog(id, e.openDialog(id)); st != "none" || tok != "" {
			t.Errorf("close of an idle dialog on an authorized session = %q, %q; want none", st, tok)
		}

		// Parked for a signatory: that stays the dialog's outcome once signed.
		id = e.session(cart(line("A", 1, 10000)))
		d := e.openDialog(id)
		assess(id, d, signatory)
		e.dialogPost(id, "confirm", d, same, map[string]any{"customer": signatory})
		e.must(200, request{method: "POST", path: "/v1/sandbox/payment-sessions/" + id + "/sign"})
		if st, tok := closeDialog(id, d); st != "awaitingSignatory" || tok != "" {
			t.Errorf("close of the dialog that parked a signed session = %q, %q; want awaitingSignatory", st, tok)
		}

		for _, tok := range []string{"", "abc.def", e.openDialog(e.session(cart(line("A", 1, 10000))))} {
			if r := e.dialogPost(id, "close", tok, nil, map[string]any{}); r.status != 401 {
				t.Errorf("close with token %q = %d %s, want 401", tok, r.status, r.body)
			}
		}
		r := e.do(request{method: "OPTIONS", path: "/payments/dialog/" + id + "/close", header: map[string]string{
			"Origin": "https://shop.test", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-kassa-dialog"}})
		if h := r.header; r.status != 204 || h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "X-Kassa-Dialog") || h.Get("Access-Control-Allow-Methods") != "POST" {
			t.Errorf("preflight of close = %d %v, want 204 letting any origin POST with X-Kassa-Dialog", r.status, h)
		}
	})
}
