package session_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
)

func TestDialogState(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, c *clock) *session.Session
		want    string
		signed  bool // NeededSignatory
	}{
		{"created", func(t *testing.T, c *clock) *session.Session { return newSession(t, c) }, "open", false},
		{"authorized, no order", func(t *testing.T, c *clock) *session.Session { s, _ := authorized(t, c, company); return s }, "open", false},
		{"awaiting a signatory", func(t *testing.T, c *clock) *session.Session { return awaiting(t, c) }, "completed", true},
		{"signed", func(t *testing.T, c *clock) *session.Session {
			s, _, err := awaiting(t, c).Sign(c.env(), order.Approval{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, "completed", true},
		{"with an order", func(t *testing.T, c *clock) *session.Session {
			s, tok := authorized(t, c, company)
			_, _, s, err := session.CreateOrder(c.env(), tok, s, orderRequest(s), 0)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, "completed", false},
		{"cancelled", func(t *testing.T, c *clock) *session.Session { s, _ := awaiting(t, c).Cancel(c.env()); return s }, "cancelled", true},
		{"expired", func(t *testing.T, c *clock) *session.Session {
			s := newSession(t, c)
			c.advance(session.Lifetime)
			return s
		}, "expired", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s := tt.prepare(t, c)
			if got := s.DialogState(c.now); got != tt.want {
				t.Errorf("DialogState = %q, want %q", got, tt.want)
			}
			if got := s.NeededSignatory(); got != tt.signed {
				t.Errorf("NeededSignatory = %v, want %v", got, tt.signed)
			}
		})
	}
}

func TestAssessed(t *testing.T) {
	c := newClock()
	s := newSession(t, c)
	before := deepCopy(s)
	d := risk.Decision{Outcome: risk.Rejected, Tags: []string{risk.TagBlocklisted}, Reason: "no"}
	got := s
	for range 2 {
		var err error
		if got, err = got.Assessed(c.now, d); err != nil {
			t.Fatalf("Assessed error: %v", err)
		}
	}
	unchanged(t, "Assessed", before, s)
	want := []session.Event{
		{Type: session.EventAssessment, Outcome: risk.Rejected, Tags: []string{risk.TagBlocklisted}, CreatedAt: c.now},
		{Type: session.EventAssessment, Outcome: risk.Rejected, Tags: []string{risk.TagBlocklisted}, CreatedAt: c.now},
	}
	if diff := cmp.Diff(want, got.Events); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	if got.Assessments() != 2 || got.State != session.StateCreated {
		t.Errorf("Assessments() = %d, state %s; want 2, created", got.Assessments(), got.State)
	}
	for got.Assessments() < session.MaxAssessments {
		got, _ = got.Assessed(c.now, d)
	}
	_, err := got.Assessed(c.now, d)
	wantError(t, "Assessed beyond the limit", err, kassa.EConflict, "")
}

func TestDecline(t *testing.T) {
	c := newClock()
	s := awaiting(t, c)
	before := deepCopy(s)
	got, err := s.Decline(c.env(), order.Approval{})
	unchanged(t, "Decline", before, s)
	if err != nil {
		t.Fatalf("Decline error: %v", err)
	}
	if last := got.Events[len(got.Events)-1]; got.State != session.StateCancelled || last.Type != session.EventAuthorizationDeclined {
		t.Errorf("Decline = state %s, last event %+v; want cancelled, %s", got.State, last, session.EventAuthorizationDeclined)
	}
	_, err = newSession(t, c).Decline(c.env(), order.Approval{})
	wantError(t, "Decline(created)", err, kassa.EConflict, "")
}

func TestPaymentMethodReachesTheOrder(t *testing.T) {
	for _, m := range []string{"", order.Invoice, order.AdvanceInvoice} {
		c := newClock()
		s, err := newSession(t, c).WithPaymentMethod(m)
		if err != nil {
			t.Fatalf("WithPaymentMethod(%q) error: %v", m, err)
		}
		s, tok, err := s.Authorize(c.env(), buyer(company), risk.Decision{Outcome: risk.Approved, Tags: []string{}})
		if err != nil {
			t.Fatal(err)
		}
		o, _, _, err := session.CreateOrder(c.env(), tok, s, orderRequest(s), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		want := m
		if want == "" {
			want = order.Invoice
		}
		if o.PaymentMethod != want {
			t.Errorf("order payment method for choice %q = %q, want %q", m, o.PaymentMethod, want)
		}
	}
	_, err := newSession(t, newClock()).WithPaymentMethod("cash")
	wantError(t, "WithPaymentMethod(cash)", err, kassa.EInvalid, "paymentMethod")
}

// TestDialogOutcome: what each dialog placed is told apart by the events
// attributed to it, and a dialog is closed only once it could confirm.
func TestDialogOutcome(t *testing.T) {
	c := newClock()
	approve := risk.Decision{Outcome: risk.Approved}
	s := newSession(t, c)
	assessed, err := s.Assessed(c.now, approve)
	if err != nil {
		t.Fatal(err)
	}
	s = s.InDialog(assessed, "a")
	before := deepCopy(s)
	if _, ok := s.CloseDialog(c.now, "never-assessed"); ok {
		t.Errorf("CloseDialog of a dialog that never assessed recorded a closing")
	}
	closed, ok := s.CloseDialog(c.now, "a")
	unchanged(t, "CloseDialog", before, s)
	if !ok || !closed.DialogClosed("a") || s.DialogClosed("a") || closed.DialogClosed("b") {
		t.Fatalf("CloseDialog(a) = %v; closed: a %v, b %v; want a closed, b not", ok, closed.DialogClosed("a"), closed.DialogClosed("b"))
	}
	if _, again := closed.CloseDialog(c.now, "a"); again {
		t.Errorf("closing a closed dialog recorded a second closing")
	}

	authorized, tok, err := closed.Authorize(c.env(), buyer(company), approve)
	if err != nil {
		t.Fatal(err)
	}
	authorized = closed.InDialog(authorized, "b")
	for dialog, want := range map[string][2]string{"a": {"", ""}, "b": {session.StateAuthorized, tok.Token}} {
		if st, token := authorized.DialogOutcome(dialog); st != want[0] || token != want[1] {
			t.Errorf("DialogOutcome(%s) = %q, %q; want %q, %q", dialog, st, token, want[0], want[1])
		}
	}

	parked := awaiting(t, c)
	parked = newSession(t, c).InDialog(parked, "c")
	signed, _, err := parked.Sign(c.env(), order.Approval{})
	if err != nil {
		t.Fatal(err)
	}
	if st, token := signed.DialogOutcome("c"); st != session.StateAwaitingSignatory || token != "" {
		t.Errorf("DialogOutcome of the dialog that parked a signed session = %q, %q; want what it placed, %s", st, token, session.StateAwaitingSignatory)
	}
}
