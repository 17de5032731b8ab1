package session_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
)

func TestNew(t *testing.T) {
	c := newClock()
	p := params()
	p.Metadata = json.RawMessage(`{"cart":"42"}`)
	got, err := session.New(c.env(), "ac_merchant", p)
	if err != nil {
		t.Fatalf("New(params) error: %v", err)
	}
	want := &session.Session{
		ID: "ps_00000001", MerchantID: "ac_merchant", StoreID: "store-1", State: session.StateCreated,
		Currency: "SEK", Country: "SE", Locale: "sv-SE", Reference: "WC-1001",
		Lines: []order.Line{phone(), books()}, Amount: 524000, VATAmount: 101358,
		Settings:  session.Settings{SecurityLevel: 200, ConfirmationURL: "https://shop.example/thanks", NotificationURL: "https://shop.example/hook"},
		Metadata:  json.RawMessage(`{"cart":"42"}`),
		CreatedAt: t0, UpdatedAt: t0, ExpiresAt: t0.Add(7 * day),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("New(params) mismatch (-want +got):\n%s", diff)
	}
	// The session keeps no alias of the request.
	p.Lines[0].TotalAmount = 1
	p.Metadata[0] = '['
	if got.Lines[0].TotalAmount != 500000 || got.Metadata[0] != '{' {
		t.Errorf("New aliases its params: line total %d, metadata %s", got.Lines[0].TotalAmount, got.Metadata)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *session.Params)
		param  string // "" when valid
	}{
		{"as sent", func(*session.Params) {}, ""},
		{"no country or locale", func(p *session.Params) { p.Country, p.Locale = nil, nil }, ""},
		{"empty country", func(p *session.Params) { p.Country = ptr("") }, ""},
		{"null metadata", func(p *session.Params) { p.Metadata = json.RawMessage(`null`) }, ""},
		{"no settings", func(p *session.Params) { p.Settings = nil }, ""},
		{"no currency", func(p *session.Params) { p.Currency = nil }, "currency"},
		{"unknown currency", func(p *session.Params) { p.Currency = ptr("ABC") }, "currency"},
		{"currency too long", func(p *session.Params) { p.Currency = ptr("SEKK") }, "currency"},
		{"no lines", func(p *session.Params) { p.Lines = nil }, "orderLines"},
		{"empty lines", func(p *session.Params) { p.Lines = []order.Line{} }, "orderLines"},
		{"invalid line", func(p *session.Params) { p.Lines[1].TotalVATAmount += 5 }, "orderLines[1].totalVatAmount"},
		{"no totals", func(p *session.Params) { p.Totals = order.Totals{} }, "totalOrderAmount"},
		{"vat total wrong", func(p *session.Params) { p.Totals.VATAmount++ }, "totalOrderVatAmount"},
		{"zero total", func(p *session.Params) {
			p.Lines = []order.Line{line("free", 1, 0, 0)}
			p.Totals = totalsOf(p.Lines...)
		}, "totalOrderAmount"},
		{"country name", func(p *session.Params) { p.Country = ptr("Sweden") }, "country"},
		{"country digits", func(p *session.Params) { p.Country = ptr("S1") }, "country"},
		{"bad locale", func(p *session.Params) { p.Locale = ptr("swedish") }, "locale"},
		{"reference 50", func(p *session.Params) { p.Reference = ptr(strings.Repeat("r", 50)) }, ""},
		{"reference 51", func(p *session.Params) { p.Reference = ptr(strings.Repeat("r", 51)) }, "reference"},
		{"URL 2048", func(p *session.Params) { p.Settings.ConfirmationURL = strings.Repeat("u", 2048) }, ""},
		{"URL 2049", func(p *session.Params) { p.Settings.NotificationURL = strings.Repeat("u", 2049) }, "settings.urls"},
		{"metadata array", func(p *session.Params) { p.Metadata = json.RawMessage(`[1]`) }, "metadata"},
		{"metadata too large", func(p *session.Params) {
			p.Metadata = json.RawMessage(`{"a":"` + strings.Repeat("x", 16<<10) + `"}`)
		}, "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			p := params()
			tt.change(&p)
			got, err := session.New(c.env(), "ac_merchant", p)
			if tt.param == "" {
				if err != nil {
					t.Errorf("New(%s) error: %v", tt.name, err)
				}
				return
			}
			if got != nil {
				t.Errorf("New(%s) returned a session with its error", tt.name)
			}
			wantError(t, "New("+tt.name+")", err, kassa.EInvalid, tt.param)
		})
	}
}

func TestNewSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings *session.Settings
		want     int64
	}{
		{"none", nil, 200},
		{"zero keeps the default", &session.Settings{}, 200},
		{"given", &session.Settings{SecurityLevel: 100}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := params()
			p.Settings = tt.settings
			s, err := session.New(newClock().env(), "ac_merchant", p)
			if err != nil {
				t.Fatalf("New(settings %+v) error: %v", tt.settings, err)
			}
			if s.Settings.SecurityLevel != tt.want {
				t.Errorf("New(settings %+v).Settings.SecurityLevel = %d, want %d", tt.settings, s.Settings.SecurityLevel, tt.want)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	tests := []struct {
		name   string
		p      session.Params
		change func(s *session.Session) // what the update does
		param  string
	}{
		{
			name:   "totals alone for the same lines",
			p:      session.Params{Totals: totalsOf(phone(), books())},
			change: func(*session.Session) {},
		},
		{
			name: "lines replace all lines",
			p:    session.Params{Lines: []order.Line{books()}, Totals: totalsOf(books())},
			change: func(s *session.Session) {
				s.Lines, s.Amount, s.VATAmount = []order.Line{books()}, 24000, 1358
			},
		},
		{
			name: "nil fields kept",
			p:    session.Params{Reference: ptr("WC-1002"), Totals: totalsOf(phone(), books())},
			change: func(s *session.Session) {
				s.Reference = "WC-1002"
			},
		},
		{
			name: "every field",
			p: session.Params{
				Currency: ptr("eur"), Country: ptr("fi"), Locale: ptr("fi-fi"), Reference: ptr(""), StoreID: ptr("store-2"),
				Lines: []order.Line{phone()}, Totals: totalsOf(phone()),
				Settings: &session.Settings{NotificationURL: "https://other.example/hook"},
				Metadata: json.RawMessage(`{"x":1}`),
			},
			change: func(s *session.Session) {
				s.Currency, s.Country, s.Locale, s.Reference, s.StoreID = "EUR", "FI", "fi-FI", "", "store-2"
				s.Lines, s.Amount, s.VATAmount = []order.Line{phone()}, 500000, 100000
				s.Settings = session.Settings{SecurityLevel: 200, NotificationURL: "https://other.example/hook"}
				s.Metadata = json.RawMessage(`{"x":1}`)
			},
		},
		{
			name:   "null metadata clears it",
			p:      session.Params{Totals: totalsOf(phone(), books()), Metadata: json.RawMessage(`null`)},
			change: func(s *session.Session) { s.Metadata = nil },
		},
		{name: "totals required", p: session.Params{Reference: ptr("x")}, param: "totalOrderAmount"},
		{name: "totals of the old lines for new ones", p: session.Params{Lines: []order.Line{books()}, Totals: totalsOf(phone(), books())}, param: "totalOrderAmount"},
		{name: "empty lines", p: session.Params{Lines: []order.Line{}, Totals: order.Totals{}}, param: "orderLines"},
		{name: "bad currency", p: session.Params{Currency: ptr("kr"), Totals: totalsOf(phone(), books())}, param: "currency"},
		{name: "bad locale", p: session.Params{Locale: ptr("sv-SWE"), Totals: totalsOf(phone(), books())}, param: "locale"},
		{name: "reference 51", p: session.Params{Reference: ptr(strings.Repeat("r", 51)), Totals: totalsOf(phone(), books())}, param: "reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			p := params()
			p.Metadata = json.RawMessage(`{"cart":"42"}`)
			s, err := session.New(c.env(), "ac_merchant", p)
			if err != nil {
				t.Fatalf("New(params) error: %v", err)
			}
			c.advance(time.Hour)
			before := deepCopy(s)
			got, err := s.Update(c.env(), tt.p)
			unchanged(t, "Update", before, s)
			if tt.param != "" {
				if got != nil {
					t.Errorf("Update(%s) returned a session with its error", tt.name)
				}
				wantError(t, "Update("+tt.name+")", err, kassa.EInvalid, tt.param)
				return
			}
			if err != nil {
				t.Fatalf("Update(%s) error: %v", tt.name, err)
			}
			want := deepCopy(s)
			tt.change(want)
			want.UpdatedAt = c.now
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Update(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestUpdateStates(t *testing.T) {
	withOrder := func(t *testing.T, c *clock) *session.Session {
		s, tok := authorized(t, c, company)
		_, _, s, err := session.CreateOrder(c.env(), tok, s, orderRequest(s), 0)
		if err != nil {
			t.Fatalf("CreateOrder error: %v", err)
		}
		return s
	}
	tests := []struct {
		name    string
		prepare func(t *testing.T, c *clock) *session.Session
		code    string
	}{
		{"created", func(t *testing.T, c *clock) *session.Session { return newSession(t, c) }, ""},
		{"just before expiry", func(t *testing.T, c *clock) *session.Session {
			s := newSession(t, c)
			c.advance(session.Lifetime - time.Nanosecond)
			return s
		}, ""},
		{"reopened", func(t *testing.T, c *clock) *session.Session {
			s, tok := authorized(t, c, company)
			return s.Reopen(c.env(), tok.Token)
		}, ""},
		{"authorized", func(t *testing.T, c *clock) *session.Session { s, _ := authorized(t, c, company); return s }, kassa.ESessionCompleted},
		{"with an order", withOrder, kassa.ESessionCompleted},
		{"with an order, long after", func(t *testing.T, c *clock) *session.Session {
			s := withOrder(t, c)
			c.advance(30 * day)
			return s
		}, kassa.ESessionCompleted},
		{"authorized, expired unused", func(t *testing.T, c *clock) *session.Session {
			s, _ := authorized(t, c, company)
			c.advance(session.Lifetime)
			return s
		}, kassa.EConflict},
		{"awaiting a signatory", func(t *testing.T, c *clock) *session.Session { return awaiting(t, c) }, kassa.EConflict},
		{"cancelled", func(t *testing.T, c *clock) *session.Session {
			s, err := awaiting(t, c).Cancel(c.env())
			if err != nil {
				t.Fatalf("Cancel error: %v", err)
			}
			return s
		}, kassa.EConflict},
		{"expired", func(t *testing.T, c *clock) *session.Session {
			s := newSession(t, c)
			c.advance(session.Lifetime)
			return s
		}, kassa.EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s := tt.prepare(t, c)
			before := deepCopy(s)
			got, err := s.Update(c.env(), session.Params{Reference: ptr("new"), Totals: totalsOf(phone(), books())})
			unchanged(t, "Update", before, s)
			if tt.code == "" {
				if err != nil || got.Reference != "new" {
					t.Errorf("Update in state %s = %v, %v, want reference new", tt.name, got, err)
				}
				return
			}
			if got != nil {
				t.Errorf("Update in state %s returned a session with its error", tt.name)
			}
			wantError(t, "Update", err, tt.code, "")
			if tt.code == kassa.ESessionCompleted && !strings.Contains(err.Error(), "40061") {
				t.Errorf("Update error %q, want the text 40061 that clients search for", err)
			}
		})
	}
}

func TestStateAt(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, c *clock) *session.Session
		at      time.Duration // after t0
		want    string
	}{
		{"created", func(t *testing.T, c *clock) *session.Session { return newSession(t, c) }, 0, session.StateCreated},
		{"created, a moment before 7 days", func(t *testing.T, c *clock) *session.Session { return newSession(t, c) }, 7*day - time.Nanosecond, session.StateCreated},
		{"created, at 7 days", func(t *testing.T, c *clock) *session.Session { return newSession(t, c) }, 7 * day, session.StateExpired},
		{"awaiting signatory, at 7 days", func(t *testing.T, c *clock) *session.Session { return awaiting(t, c) }, 7 * day, session.StateExpired},
		{"authorized without order, at 7 days", func(t *testing.T, c *clock) *session.Session { s, _ := authorized(t, c, company); return s }, 7 * day, session.StateExpired},
		{"authorized without order, before", func(t *testing.T, c *clock) *session.Session { s, _ := authorized(t, c, company); return s }, day, session.StateAuthorized},
		{"authorized with order, a year on", func(t *testing.T, c *clock) *session.Session {
			s, tok := authorized(t, c, company)
			_, _, s, err := session.CreateOrder(c.env(), tok, s, orderRequest(s), 0)
			if err != nil {
				t.Fatalf("CreateOrder error: %v", err)
			}
			return s
		}, 365 * day, session.StateAuthorized},
		{"cancelled, at 7 days", func(t *testing.T, c *clock) *session.Session {
			s, err := awaiting(t, c).Cancel(c.env())
			if err != nil {
				t.Fatalf("Cancel error: %v", err)
			}
			return s
		}, 7 * day, session.StateCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.prepare(t, newClock())
			if got := s.StateAt(t0.Add(tt.at)); got != tt.want {
				t.Errorf("StateAt(+%v) = %q, want %q", tt.at, got, tt.want)
			}
			if s.State == session.StateExpired {
				t.Errorf("stored State = %q: expiry must only be read, never stored", s.State)
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	tests := []struct {
		name      string
		companyID string
		amount    int64 // the session total; phone and books when 0
		state     string
		tags      []string
		forced    bool
		code      string
	}{
		{"approved", company, 0, session.StateAuthorized, []string{}, false, ""},
		{"manual review", risk.ManualReviewCompany, 0, session.StateAuthorized, []string{"manualReview"}, true, ""},
		{"signatory company", risk.SignatoryCompany, 0, session.StateAwaitingSignatory, []string{"signatoryRequired"}, false, ""},
		{"large amount", company, 25_000_001, session.StateAwaitingSignatory, []string{"signatoryRequired", "largeAmount"}, false, ""},
		{"blocked company", risk.BlockedCompany, 0, "", nil, false, kassa.ERejected},
		{"over the credit limit", company, 100_000_001, "", nil, false, kassa.ERejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			p := params()
			if tt.amount != 0 {
				p.Lines = []order.Line{line("big", 1, tt.amount, 0)}
				p.Totals = totalsOf(p.Lines...)
			}
			s, err := session.New(c.env(), "ac_merchant", p)
			if err != nil {
				t.Fatalf("New error: %v", err)
			}
			c.advance(time.Minute)
			cu := buyer(tt.companyID)
			d := risk.DefaultPolicy.Assess(risk.Input{CompanyID: cu.CompanyID, Amount: s.Amount, Currency: s.Currency})
			before := deepCopy(s)
			got, tok, err := s.Authorize(c.env(), cu, d)
			unchanged(t, "Authorize", before, s)
			if tt.code != "" {
				if got != nil || tok != nil {
					t.Errorf("Authorize(%s) = %v, %v with its error", tt.name, got, tok)
				}
				wantError(t, "Authorize("+tt.name+")", err, tt.code, "")
				return
			}
			if err != nil {
				t.Fatalf("Authorize(%s) error: %v", tt.name, err)
			}
			want := deepCopy(s)
			want.State, want.Customer, want.RiskTags, want.Forced, want.UpdatedAt = tt.state, &cu, tt.tags, tt.forced, c.now
			want.SignatoryRequested = tt.state == session.StateAwaitingSignatory
			var wantTok *session.Token
			assessed := session.Event{Type: session.EventAssessment, Outcome: d.Outcome, Tags: tt.tags, CreatedAt: c.now}
			want.Events = []session.Event{assessed, {Type: session.EventAuthorizationPending, CreatedAt: c.now}}
			if tt.state == session.StateAuthorized {
				wantTok = &session.Token{Token: "at_00000001", MerchantID: "ac_merchant", SessionID: s.ID, State: session.TokenActive, CreatedAt: c.now, ExpiresAt: s.ExpiresAt}
				want.Token = wantTok.Token
				want.Events[1] = session.Event{Type: session.EventAuthorizationCreate, Token: wantTok.Token, CreatedAt: c.now}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Authorize(%s) session mismatch (-want +got):\n%s", tt.name, diff)
			}
			if diff := cmp.Diff(wantTok, tok); diff != "" {
				t.Errorf("Authorize(%s) token mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// TestAuthorizeAgain: a buyer who closed the dialog authorizes again; the
// new token supersedes the unused one.
func TestAuthorizeAgain(t *testing.T) {
	c := newClock()
	s, first := authorized(t, c, company)
	c.advance(time.Minute)
	cu := buyer(risk.ManualReviewCompany)
	s2, second, err := s.Authorize(c.env(), cu, risk.DefaultPolicy.Assess(risk.Input{CompanyID: cu.CompanyID, Amount: s.Amount, Currency: s.Currency}))
	if err != nil {
		t.Fatalf("second Authorize error: %v", err)
	}
	if second.Token == first.Token || s2.Token != second.Token {
		t.Errorf("second Authorize token %q, session token %q, want a new token %q current", second.Token, s2.Token, second.Token)
	}
	if s2.Customer.CompanyID != risk.ManualReviewCompany || !s2.Forced {
		t.Errorf("second Authorize customer %q forced %v, want %q forced", s2.Customer.CompanyID, s2.Forced, risk.ManualReviewCompany)
	}
	_, _, _, err = session.CreateOrder(c.env(), first, s2, orderRequest(s2), 0)
	wantError(t, "CreateOrder(superseded token)", err, kassa.EConflict, "")

	// A signatory requirement on a third attempt withdraws the token too.
	cu = buyer(risk.SignatoryCompany)
	s3, none, err := s2.Authorize(c.env(), cu, risk.DefaultPolicy.Assess(risk.Input{CompanyID: cu.CompanyID, Amount: s.Amount, Currency: s.Currency}))
	if err != nil || none != nil || s3.Token != "" || s3.State != session.StateAwaitingSignatory {
		t.Errorf("third Authorize = state %q token %q/%v, %v, want awaitingSignatory without token", s3.State, s3.Token, none, err)
	}
	_, _, _, err = session.CreateOrder(c.env(), second, s3, orderRequest(s3), 0)
	wantError(t, "CreateOrder(withdrawn token)", err, kassa.EConflict, "")
}

func TestAuthorizeStates(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, c *clock) *session.Session
		code    string
	}{
		{"awaiting a signatory", func(t *testing.T, c *clock) *session.Session { return awaiting(t, c) }, kassa.EConflict},
		{"cancelled", func(t *testing.T, c *clock) *session.Session {
			s, _ := awaiting(t, c).Cancel(c.env())
			return s
		}, kassa.EConflict},
		{"expired", func(t *testing.T, c *clock) *session.Session {
			s := newSession(t, c)
			c.advance(session.Lifetime)
			return s
		}, kassa.EConflict},
		{"with an order", func(t *testing.T, c *clock) *session.Session {
			s, tok := authorized(t, c, company)
			_, _, s, err := session.CreateOrder(c.env(), tok, s, orderRequest(s), 0)
			if err != nil {
				t.Fatalf("CreateOrder error: %v", err)
			}
			return s
		}, kassa.ESessionCompleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s := tt.prepare(t, c)
			before := deepCopy(s)
			cu := buyer(company)
			got, tok, err := s.Authorize(c.env(), cu, risk.Decision{Outcome: risk.Approved, Tags: []string{}})
			unchanged(t, "Authorize", before, s)
			if got != nil || tok != nil {
				t.Errorf("Authorize in state %s = %v, %v with error %v", tt.name, got, tok, err)
			}
			wantError(t, "Authorize in state "+tt.name, err, tt.code, "")
		})
	}
}

func TestSign(t *testing.T) {
	c := newClock()
	s := awaiting(t, c)
	c.advance(day)
	before := deepCopy(s)
	a := order.Approval{Name: "Sara Signer", Email: "sara@buyer.example", Method: order.VerifiedByEmailCode, At: c.now}
	got, tok, err := s.Sign(c.env(), a)
	unchanged(t, "Sign", before, s)
	if err != nil {
		t.Fatalf("Sign() error: %v", err)
	}
	want := deepCopy(s)
	want.State, want.Token, want.UpdatedAt, want.Approval = session.StateAuthorized, "at_00000001", c.now, &a
	want.Events = append(want.Events, session.Event{Type: session.EventAuthorizationCreate, Token: "at_00000001", Signatory: &a, CreatedAt: c.now})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sign() session mismatch (-want +got):\n%s", diff)
	}
	wantTok := &session.Token{Token: "at_00000001", MerchantID: "ac_merchant", SessionID: s.ID, State: session.TokenActive, CreatedAt: c.now, ExpiresAt: s.ExpiresAt}
	if diff := cmp.Diff(wantTok, tok); diff != "" {
		t.Errorf("Sign() token mismatch (-want +got):\n%s", diff)
	}
	o, _, _, err := session.CreateOrder(c.env(), tok, got, orderRequest(got), 0)
	if err != nil {
		t.Fatalf("CreateOrder(signed token) error: %v", err)
	}
	if o.Signatory == nil || *o.Signatory != a {
		t.Errorf("the order's signatory = %+v, want the approval %+v", o.Signatory, a)
	}
}

func TestSignRejects(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, c *clock) *session.Session
	}{
		{"created", func(t *testing.T, c *clock) *session.Session { return newSession(t, c) }},
		{"authorized", func(t *testing.T, c *clock) *session.Session { s, _ := authorized(t, c, company); return s }},
		{"signed already", func(t *testing.T, c *clock) *session.Session {
			s, _, err := awaiting(t, c).Sign(c.env(), order.Approval{})
			if err != nil {
				t.Fatalf("Sign error: %v", err)
			}
			return s
		}},
		{"cancelled", func(t *testing.T, c *clock) *session.Session { s, _ := awaiting(t, c).Cancel(c.env()); return s }},
		{"awaiting, expired", func(t *testing.T, c *clock) *session.Session {
			s := awaiting(t, c)
			c.advance(session.Lifetime)
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s := tt.prepare(t, c)
			before := deepCopy(s)
			got, tok, err := s.Sign(c.env(), order.Approval{})
			unchanged(t, "Sign", before, s)
			if got != nil || tok != nil {
				t.Errorf("Sign() in state %s = %v, %v with error %v", tt.name, got, tok, err)
			}
			wantError(t, "Sign() in state "+tt.name, err, kassa.EConflict, "")
		})
	}
}

func TestCancel(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, c *clock) *session.Session
		code    string
	}{
		{"awaiting a signatory", func(t *testing.T, c *clock) *session.Session { return awaiting(t, c) }, ""},
		{"created", func(t *testing.T, c *clock) *session.Session { return newSession(t, c) }, kassa.EConflict},
		{"authorized", func(t *testing.T, c *clock) *session.Session { s, _ := authorized(t, c, company); return s }, kassa.EConflict},
		{"cancelled", func(t *testing.T, c *clock) *session.Session { s, _ := awaiting(t, c).Cancel(c.env()); return s }, kassa.EConflict},
		{"awaiting, expired", func(t *testing.T, c *clock) *session.Session {
			s := awaiting(t, c)
			c.advance(session.Lifetime)
			return s
		}, kassa.EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s := tt.prepare(t, c)
			c.advance(time.Minute)
			before := deepCopy(s)
			got, err := s.Cancel(c.env())
			unchanged(t, "Cancel", before, s)
			if tt.code != "" {
				if got != nil {
					t.Errorf("Cancel() in state %s returned a session with error %v", tt.name, err)
				}
				wantError(t, "Cancel() in state "+tt.name, err, tt.code, "")
				return
			}
			if err != nil {
				t.Fatalf("Cancel() error: %v", err)
			}
			want := deepCopy(s)
			want.State, want.UpdatedAt = session.StateCancelled, c.now
			want.Events = append(want.Events, session.Event{Type: session.EventCancelled, CreatedAt: c.now})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Cancel() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReopen(t *testing.T) {
	c := newClock()
	s, tok := authorized(t, c, company)
	c.advance(time.Minute)

	before := deepCopy(s)
	got := s.Reopen(c.env(), tok.Token)
	unchanged(t, "Reopen", before, s)
	want := deepCopy(s)
	want.State, want.Token, want.UpdatedAt = session.StateCreated, "", c.now
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Reopen(current token) mismatch (-want +got):\n%s", diff)
	}
	// Reopened, it can change and be authorized again.
	upd, err := got.Update(c.env(), session.Params{Lines: []order.Line{books()}, Totals: totalsOf(books())})
	if err != nil {
		t.Fatalf("Update(reopened) error: %v", err)
	}
	if _, tok2, err := upd.Authorize(c.env(), buyer(company), risk.Decision{Outcome: risk.Approved, Tags: []string{}}); err != nil || tok2 == nil {
		t.Errorf("Authorize(reopened) = %v, %v, want a token", tok2, err)
	}

	// Another token, or a session with its order, is left alone.
	if other := s.Reopen(c.env(), "at_other"); other != s {
		t.Errorf("Reopen(other token) returned a new session, want its receiver")
	}
	_, _, done, err := session.CreateOrder(c.env(), tok, s, orderRequest(s), 0)
	if err != nil {
		t.Fatalf("CreateOrder error: %v", err)
	}
	if again := done.Reopen(c.env(), tok.Token); again != done || again.State != session.StateAuthorized {
		t.Errorf("Reopen(session with order) = state %q, want the receiver, authorized", again.State)
	}
}
