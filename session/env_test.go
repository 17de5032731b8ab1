package session_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
)

// t0 is the fixed start of every test clock.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const day = 24 * time.Hour

// seqIDs is a deterministic kassa.IDs: the prefix followed by an 8-digit
// counter kept per prefix (ps_00000001, at_00000001, …).
type seqIDs struct {
	mu sync.Mutex
	n  map[string]int
}

func (g *seqIDs) New(prefix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == nil {
		g.n = map[string]int{}
	}
	g.n[prefix]++
	return fmt.Sprintf("%s%08d", prefix, g.n[prefix])
}

// clock is a deterministic environment: time stands still until advance.
type clock struct {
	now time.Time
	ids *seqIDs
}

func newClock() *clock { return &clock{now: t0, ids: &seqIDs{}} }

func (c *clock) env() order.Env { return order.Env{Now: c.now, IDs: c.ids} }

func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

func ptr[T any](v T) *T { return &v }

func line(ref string, qty, unitPrice, vat int64) order.Line {
	total := qty * unitPrice
	return order.Line{
		Type: order.TypePhysical, Reference: ref, Description: "Item " + ref,
		Quantity: qty, UnitPrice: ptr(unitPrice), VAT: vat,
		TotalAmount: total, TotalVATAmount: money.VATPortion(total, vat),
	}
}

func phone() order.Line { return line("1334227", 1, 500000, 2500) }
func books() order.Line { return line("book", 2, 12000, 600) }

func totalsOf(lines ...order.Line) order.Totals {
	total, vat := order.Sum(lines)
	return order.Totals{Amount: total, VATAmount: vat, AmountExclVAT: ptr(total - vat)}
}

// params is a create request for phone and books, in the letter case
// clients send.
func params() session.Params {
	lines := []order.Line{phone(), books()}
	return session.Params{
		Currency: ptr("sek"), Country: ptr("se"), Locale: ptr("sv_se"), Reference: ptr("WC-1001"), StoreID: ptr("store-1"),
		Lines: lines, Totals: totalsOf(lines...),
		Settings: &session.Settings{ConfirmationURL: "https://shop.example/thanks", NotificationURL: "https://shop.example/hook"},
	}
}

// buyer is the customer a buyer authorizes with, as BuyerCustomer makes it.
func buyer(companyID string) order.Customer {
	c, err := session.BuyerCustomer(order.Customer{
		CompanyID: companyID, Email: "kalle@kulor.com", FirstName: "Kalle", LastName: "Kulor",
		BillingAddress: order.Address{CompanyName: "Kalles kulor AB", City: "Stockholm", Country: "SE", PostalCode: "11359", StreetAddress: "Sveavägen 49"},
	}, "SE")
	if err != nil {
		panic(err)
	}
	return c
}

const company = "559311-7314"

func newSession(t testing.TB, c *clock) *session.Session {
	t.Helper()
	s, err := session.New(c.env(), "ac_merchant", params())
	if err != nil {
		t.Fatalf("New(params) error: %v", err)
	}
	return s
}

// authorized returns a session authorized for company with its token.
func authorized(t testing.TB, c *clock, companyID string) (*session.Session, *session.Token) {
	t.Helper()
	s := newSession(t, c)
	cu := buyer(companyID)
	d := risk.DefaultPolicy.Assess(risk.Input{CompanyID: cu.CompanyID, Amount: s.Amount, Currency: s.Currency})
	n, tok, err := s.Authorize(c.env(), cu, d)
	if err != nil || tok == nil {
		t.Fatalf("Authorize(%s) = %v, %v, want a token", companyID, tok, err)
	}
	return n, tok
}

// awaiting returns a session awaiting a signatory.
func awaiting(t testing.TB, c *clock) *session.Session {
	t.Helper()
	s := newSession(t, c)
	cu := buyer(risk.SignatoryCompany)
	n, tok, err := s.Authorize(c.env(), cu, risk.DefaultPolicy.Assess(risk.Input{CompanyID: cu.CompanyID, Amount: s.Amount, Currency: s.Currency}))
	if err != nil || tok != nil {
		t.Fatalf("Authorize(signatory company) = %v, %v, want no token and no error", tok, err)
	}
	return n
}

// wantError checks err's code and, when param is not empty, its Param.
func wantError(t testing.TB, call string, err error, code, param string) {
	t.Helper()
	if got := kassa.ErrorCode(err); got != code {
		t.Errorf("%s error code = %q, want %q (error: %v)", call, got, code, err)
		return
	}
	if param == "" {
		return
	}
	var e *kassa.Error
	if !errors.As(err, &e) {
		t.Errorf("%s error = %T, want *kassa.Error", call, err)
		return
	}
	if e.Param != param {
		t.Errorf("%s error param = %q, want %q (error: %v)", call, e.Param, param, err)
	}
}

// unchanged fails when a value differs from the copy taken before a call.
func unchanged[T any](t testing.TB, call string, before, after T) {
	t.Helper()
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("%s changed its input (-before +after):\n%s", call, diff)
	}
}

// deepCopy copies a session independently of the package's clone.
func deepCopy(s *session.Session) *session.Session {
	c := *s
	c.Lines = slices.Clone(s.Lines)
	for i, l := range c.Lines {
		if l.UnitPrice != nil {
			c.Lines[i].UnitPrice = ptr(*l.UnitPrice)
		}
	}
	c.Metadata = slices.Clone(s.Metadata)
	c.RiskTags = slices.Clone(s.RiskTags)
	c.Events = slices.Clone(s.Events)
	if s.Customer != nil {
		cu := *s.Customer
		c.Customer = &cu
	}
	return &c
}
