package session_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
)

// orderRequest is what a merchant sends for s: its currency, lines and
// totals and the contact person; the company details come from the
// authorization.
func orderRequest(s *session.Session) session.OrderRequest {
	return session.OrderRequest{
		Currency: string(s.Currency), Lines: s.Lines, Totals: totalsOf(s.Lines...),
		Customer: order.Customer{CompanyID: s.Customer.CompanyID, FirstName: "Kalle", LastName: "Kulor", Phone: "0700000000"},
	}
}

func TestCreateOrder(t *testing.T) {
	c := newClock()
	s, tok := authorized(t, c, risk.ManualReviewCompany)
	c.advance(time.Minute)
	r := orderRequest(s)
	r.Customer.CompanyID = "5560000002" // without the dash
	r.Reference = "WC-2002"
	r.Locale = "SV_se"
	r.Metadata = []byte(`{"order":7}`)
	sBefore, tBefore := deepCopy(s), *tok

	o, usedTok, done, err := session.CreateOrder(c.env(), tok, s, r, time.Hour)
	unchanged(t, "CreateOrder(session)", sBefore, s)
	unchanged(t, "CreateOrder(token)", tBefore, *tok)
	if err != nil {
		t.Fatalf("CreateOrder error: %v", err)
	}
	if err := o.Check(); err != nil {
		t.Errorf("CreateOrder order Check() = %v", err)
	}

	wantCustomer := order.Customer{
		CompanyID: risk.ManualReviewCompany, CompanyName: "Kalles kulor AB", VATID: "SE556000000201",
		Email: "kalle@kulor.com", FirstName: "Kalle", LastName: "Kulor", Phone: "0700000000",
		InvoiceChannel: order.InvoiceChannel{Type: "email"},
	}
	if diff := cmp.Diff(wantCustomer, o.Customer); diff != "" {
		t.Errorf("CreateOrder customer (-want +got):\n%s", diff)
	}
	gotFields := []any{o.ID, o.MerchantID, o.StoreID, o.SessionID, string(o.Currency), o.Country, o.Locale, o.Reference, o.AuthorizeStatus, o.RiskTags, string(o.Metadata), o.AuthorizedAmount, o.Ready, o.ReadyAt}
	wantFields := []any{"or_00000001", "ac_merchant", "store-1", s.ID, "SEK", "SE", "sv-SE", "WC-2002", order.Forced, []string{"manualReview"}, `{"order":7}`, s.Amount, false, c.now.Add(time.Hour)}
	if diff := cmp.Diff(wantFields, gotFields); diff != "" {
		t.Errorf("CreateOrder order fields (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(s.Lines, stripIDs(o.Uncaptured.Lines)); diff != "" {
		t.Errorf("CreateOrder order lines (-want +got):\n%s", diff)
	}

	wantTok := tBefore
	wantTok.State, wantTok.OrderID = session.TokenUsed, o.ID
	if diff := cmp.Diff(&wantTok, usedTok); diff != "" {
		t.Errorf("CreateOrder token (-want +got):\n%s", diff)
	}
	wantSession := deepCopy(s)
	wantSession.OrderID, wantSession.UpdatedAt = o.ID, c.now
	if diff := cmp.Diff(wantSession, done); diff != "" {
		t.Errorf("CreateOrder session (-want +got):\n%s", diff)
	}

	// The used token cannot make a second order.
	_, _, _, err = session.CreateOrder(c.env(), usedTok, done, r, 0)
	wantError(t, "CreateOrder(used token)", err, kassa.EConflict, "")
}

func stripIDs(lines []order.Line) []order.Line {
	out := append([]order.Line(nil), lines...)
	for i := range out {
		out[i].ID = ""
	}
	return out
}

func TestCreateOrderDefaults(t *testing.T) {
	c := newClock()
	s, tok := authorized(t, c, company)
	r := orderRequest(s)
	r.Customer = order.Customer{} // everything from the authorization
	o, _, _, err := session.CreateOrder(c.env(), tok, s, r, 0)
	if err != nil {
		t.Fatalf("CreateOrder error: %v", err)
	}
	gotFields := []any{o.Customer.CompanyID, o.Customer.VATID, o.Customer.Email, o.Locale, o.Reference, o.AuthorizeStatus, o.Ready}
	wantFields := []any{company, "SE559311731401", "kalle@kulor.com", "sv-SE", "WC-1001", order.Authorized, true}
	if diff := cmp.Diff(wantFields, gotFields); diff != "" {
		t.Errorf("CreateOrder defaults (-want +got):\n%s", diff)
	}
}

func TestCreateOrderRejects(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, c *clock, s *session.Session, tok *session.Token) (*session.Session, *session.Token)
		change  func(r *session.OrderRequest)
		code    string
		param   string
	}{
		{name: "currency mismatch", change: func(r *session.OrderRequest) { r.Currency = "EUR" }, code: kassa.EInvalid, param: "currency"},
		{name: "currency in lower case matches", change: func(r *session.OrderRequest) { r.Currency = "sek" }},
		{name: "currency unknown", change: func(r *session.OrderRequest) { r.Currency = "ABC" }, code: kassa.EInvalid, param: "currency"},
		{name: "total mismatch", change: func(r *session.OrderRequest) {
			r.Lines = []order.Line{phone()}
			r.Totals = totalsOf(r.Lines...)
		}, code: kassa.EInvalid, param: "totalOrderAmount"},
		{name: "vat mismatch", change: func(r *session.OrderRequest) {
			// Same total, other VAT: 524000 all at 25 %.
			r.Lines = []order.Line{line("all", 1, 524000, 2500)}
			r.Totals = totalsOf(r.Lines...)
		}, code: kassa.EInvalid, param: "totalOrderVatAmount"},
		{name: "company mismatch", change: func(r *session.OrderRequest) { r.Customer.CompanyID = "556000-0099" }, code: kassa.EInvalid, param: "customer.companyId"},
		{name: "company without dash", change: func(r *session.OrderRequest) { r.Customer.CompanyID = "5593117314" }},
		{name: "company with spaces", change: func(r *session.OrderRequest) { r.Customer.CompanyID = " 559311-7314 " }},
		{name: "company without the dash, other number", change: func(r *session.OrderRequest) { r.Customer.CompanyID = "5593117315" }, code: kassa.EInvalid, param: "customer.companyId"},
		{name: "bad email", change: func(r *session.OrderRequest) { r.Customer.Email = "kalle" }, code: kassa.EInvalid, param: "customer.email"},
		{name: "bad locale", change: func(r *session.OrderRequest) { r.Locale = "svenska" }, code: kassa.EInvalid, param: "locale"},
		{name: "bad metadata", change: func(r *session.OrderRequest) { r.Metadata = []byte(`"text"`) }, code: kassa.EInvalid, param: "metadata"},
		{name: "invalid line at the same totals", change: func(r *session.OrderRequest) {
			l := phone()
			l.UnitPrice = ptr(int64(1))
			r.Lines = []order.Line{l, books()}
		}, code: kassa.EInvalid, param: "orderLines[0].totalAmount"},
		{name: "used token", prepare: func(t *testing.T, c *clock, s *session.Session, tok *session.Token) (*session.Session, *session.Token) {
			_, used, _, err := session.CreateOrder(c.env(), tok, s, orderRequest(s), 0)
			if err != nil {
				t.Fatalf("first CreateOrder error: %v", err)
			}
			return s, used
		}, code: kassa.EConflict},
		{name: "cancelled token", prepare: func(t *testing.T, c *clock, s *session.Session, tok *session.Token) (*session.Session, *session.Token) {
			cancelled, err := tok.Cancel(c.now)
			if err != nil {
				t.Fatalf("Token.Cancel error: %v", err)
			}
			return s, cancelled
		}, code: kassa.EConflict},
		{name: "expired token", prepare: func(t *testing.T, c *clock, s *session.Session, tok *session.Token) (*session.Session, *session.Token) {
			c.advance(session.Lifetime)
			return s, tok
		}, code: kassa.EConflict},
		{name: "a moment before expiry", prepare: func(t *testing.T, c *clock, s *session.Session, tok *session.Token) (*session.Session, *session.Token) {
			c.advance(session.Lifetime - time.Nanosecond)
			return s, tok
		}},
		{name: "reopened session", prepare: func(t *testing.T, c *clock, s *session.Session, tok *session.Token) (*session.Session, *session.Token) {
			return s.Reopen(c.env(), tok.Token), tok
		}, code: kassa.EConflict},
		{name: "token of another session", prepare: func(t *testing.T, c *clock, s *session.Session, tok *session.Token) (*session.Session, *session.Token) {
			other, _ := authorized(t, c, company)
			return other, tok
		}, code: kassa.EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s, tok := authorized(t, c, company)
			if tt.prepare != nil {
				s, tok = tt.prepare(t, c, s, tok)
			}
			r := orderRequest(s)
			if tt.change != nil {
				tt.change(&r)
			}
			sBefore, tBefore := deepCopy(s), *tok
			o, nt, ns, err := session.CreateOrder(c.env(), tok, s, r, 0)
			unchanged(t, "CreateOrder(session)", sBefore, s)
			unchanged(t, "CreateOrder(token)", tBefore, *tok)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CreateOrder(%s) error: %v", tt.name, err)
				}
				if nt.State != session.TokenUsed || ns.OrderID != o.ID || o.Customer.CompanyID != company {
					t.Errorf("CreateOrder(%s) = token %q, session order %q, company %q, want used, %q, %q", tt.name, nt.State, ns.OrderID, o.Customer.CompanyID, o.ID, company)
				}
				return
			}
			if o != nil || nt != nil || ns != nil {
				t.Errorf("CreateOrder(%s) returned results with its error %v", tt.name, err)
			}
			wantError(t, "CreateOrder("+tt.name+")", err, tt.code, tt.param)
		})
	}
}

func TestTokenCancel(t *testing.T) {
	tests := []struct {
		name  string
		state string
		at    time.Duration
		ok    bool
	}{
		{"active", session.TokenActive, 0, true},
		{"active, a moment before expiry", session.TokenActive, session.Lifetime - time.Nanosecond, true},
		{"active, expired", session.TokenActive, session.Lifetime, false},
		{"used", session.TokenUsed, 0, false},
		{"cancelled", session.TokenCancelled, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := &session.Token{Token: "at_1", State: tt.state, CreatedAt: t0, ExpiresAt: t0.Add(session.Lifetime)}
			before := *tok
			got, err := tok.Cancel(t0.Add(tt.at))
			unchanged(t, "Token.Cancel", before, *tok)
			if !tt.ok {
				if got != nil {
					t.Errorf("Token.Cancel(%s) returned a token with error %v", tt.name, err)
				}
				wantError(t, "Token.Cancel("+tt.name+")", err, kassa.EConflict, "")
				return
			}
			want := before
			want.State = session.TokenCancelled
			if err != nil {
				t.Fatalf("Token.Cancel(%s) error: %v", tt.name, err)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("Token.Cancel(%s) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestCreateOrderMetadataFromSession(t *testing.T) {
	c := newClock()
	p := params()
	p.Metadata = json.RawMessage(`{"cart":"42"}`)
	s, err := session.New(c.env(), "ac_merchant", p)
	if err != nil {
		t.Fatalf("New error: %v", err)
	}
	cu := buyer(company)
	s, tok, err := s.Authorize(c.env(), cu, risk.Decision{Outcome: risk.Approved, Tags: []string{}})
	if err != nil {
		t.Fatalf("Authorize error: %v", err)
	}
	o, _, _, err := session.CreateOrder(c.env(), tok, s, orderRequest(s), 0)
	if err != nil {
		t.Fatalf("CreateOrder error: %v", err)
	}
	if string(o.Metadata) != `{"cart":"42"}` {
		t.Errorf("CreateOrder metadata = %s, want the session's {\"cart\":\"42\"}", o.Metadata)
	}
}
