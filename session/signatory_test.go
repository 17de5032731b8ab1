package session_test

import (
	"strings"
	"testing"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
)

func named(t *testing.T, c *clock) *session.Session {
	t.Helper()
	s, err := awaiting(t, c).NameSignatory(c.now, " Sara Signer ", "sara@kulor.com")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNameSignatory(t *testing.T) {
	tests := []struct {
		name, who, email string
		code, param      string
	}{
		{"named", "Sara Signer", "sara@kulor.com", "", ""},
		{"no name", " ", "sara@kulor.com", kassa.EInvalid, "signatory.name"},
		{"no address", "Sara", "", kassa.EInvalid, "signatory.email"},
		{"not an address", "Sara", "sara at kulor", kassa.EInvalid, "signatory.email"},
		{"too long", strings.Repeat("S", 201), "sara@kulor.com", kassa.EInvalid, "signatory.name"},
		{"the buyer", "Kalle", "KALLE@kulor.com", kassa.EInvalid, "signatory.email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			s := awaiting(t, c)
			before := deepCopy(s)
			got, err := s.NameSignatory(c.now, tt.who, tt.email)
			unchanged(t, "NameSignatory", before, s)
			if tt.code != "" {
				wantError(t, "NameSignatory", err, tt.code, tt.param)
				return
			}
			if err != nil || got.Signatory == nil || got.Signatory.Name != tt.who || got.Signatory.Email != tt.email {
				t.Fatalf("NameSignatory = %+v, %v", got, err)
			}
			if _, err := got.NameSignatory(c.now, "Other", "other@kulor.com"); kassa.ErrorCode(err) != kassa.EConflict {
				t.Errorf("naming a second signatory = %v, want a conflict", err)
			}
		})
	}
	c := newClock()
	if _, err := newSession(t, c).NameSignatory(c.now, "Sara", "sara@kulor.com"); kassa.ErrorCode(err) != kassa.EConflict {
		t.Errorf("naming a signatory for a session that needs none = %v, want a conflict", err)
	}
}

// A code verifies the signatory once; wrong guesses count against it,
// and it stops working after its lifetime or MaxCodeAttempts guesses.
func TestCheckCode(t *testing.T) {
	c := newClock()
	s := named(t, c)
	if _, _, err := s.CheckCode(c.now, "h"); kassa.ErrorCode(err) != kassa.EConflict {
		t.Fatalf("checking before a code was sent = %v, want a conflict", err)
	}
	if _, err := s.Verified(c.now); kassa.ErrorCode(err) != kassa.EForbidden {
		t.Fatalf("Verified before verification = %v, want forbidden", err)
	}
	s, err := s.SendCode(c.now, "right")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < session.MaxCodeAttempts; i++ {
		next, ok, err := s.CheckCode(c.now, "wrong")
		if err != nil || ok || next.Signatory.Code.Attempts != i || next.Signatory.Verified != nil {
			t.Fatalf("wrong guess %d = %+v, %v, %v", i, next.Signatory, ok, err)
		}
		s = next
	}
	c.advance(session.CodeLifetime - 1)
	got, ok, err := s.CheckCode(c.now, "right")
	if err != nil || !ok || got.Signatory.Code != nil {
		t.Fatalf("the right code on the last try = %+v, %v, %v", got.Signatory, ok, err)
	}
	a, err := got.Verified(c.now)
	want := order.Approval{Name: "Sara Signer", Email: "sara@kulor.com", Method: order.VerifiedByEmailCode, At: c.now}
	if err != nil || a != want {
		t.Errorf("Verified = %+v, %v; want %+v", a, err, want)
	}

	// A code is void after its lifetime, and after too many wrong guesses.
	c = newClock()
	s, _ = named(t, c).SendCode(c.now, "right")
	c.advance(session.CodeLifetime)
	if _, _, err := s.CheckCode(c.now, "right"); kassa.ErrorCode(err) != kassa.EConflict {
		t.Errorf("an expired code = %v, want a conflict", err)
	}
	s, _ = s.SendCode(c.now, "right")
	for range session.MaxCodeAttempts {
		s, _, _ = s.CheckCode(c.now, "wrong")
	}
	if _, _, err := s.CheckCode(c.now, "right"); kassa.ErrorCode(err) != kassa.EConflict {
		t.Errorf("the right code after %d wrong ones = %v, want a conflict", session.MaxCodeAttempts, err)
	}
	// A new code starts over, up to MaxCodes codes.
	for i := 2; i < session.MaxCodes; i++ {
		if s, err = s.SendCode(c.now, "again"); err != nil {
			t.Fatalf("code %d: %v", i+1, err)
		}
	}
	if _, ok, err := s.CheckCode(c.now, "again"); !ok || err != nil {
		t.Errorf("a new code after a void one = %v, %v", ok, err)
	}
	if _, err := s.SendCode(c.now, "more"); kassa.ErrorCode(err) != kassa.ERateLimited {
		t.Errorf("code %d = %v, want rate_limited", session.MaxCodes+1, err)
	}
}

func TestVerifyIdentity(t *testing.T) {
	c := newClock()
	s := named(t, c)
	if _, err := s.VerifyIdentity(c.now, session.Identity{Method: "bankid"}); kassa.ErrorCode(err) != kassa.EUnauthorized {
		t.Errorf("an identity without a subject = %v, want unauthorized", err)
	}
	got, err := s.VerifyIdentity(c.now, session.Identity{Method: "bankid", Subject: "19800101-1234", Name: "Sara Signér"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := got.Verified(c.now)
	want := order.Approval{Name: "Sara Signér", Email: "sara@kulor.com", Method: "bankid", Subject: "19800101-1234", At: c.now}
	if err != nil || a != want {
		t.Errorf("Verified = %+v, %v; want %+v", a, err, want)
	}
	if _, err := awaiting(t, c).VerifyIdentity(c.now, session.Identity{Method: "bankid", Subject: "x"}); kassa.ErrorCode(err) != kassa.EConflict {
		t.Errorf("verifying without a named signatory = %v, want a conflict", err)
	}
}
