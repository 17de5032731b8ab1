package session

import (
	"slices"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
)

// Session event types. The two authorization events carry Ledyer's
// notification names, so that notification delivery can map them as they
// are; an assessment is Kassa's own record of each risk decision.
const (
	EventAssessment            = "assessment"
	EventAuthorizationPending  = "com.ledyer.authorization.pending"
	EventAuthorizationCreate   = "com.ledyer.authorization.create"
	EventAuthorizationDeclined = "signatoryDeclined"
	EventCancelled             = "cancelled"
)

// Event is one entry of a session's history, only ever appended to.
type Event struct {
	Type      string    `json:"type"`
	Outcome   string    `json:"outcome,omitempty"` // of an assessment
	Tags      []string  `json:"tags,omitempty"`    // of an assessment
	Token     string    `json:"authorizationToken,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// MaxAssessments bounds the assessments a buyer's dialog may run on one
// session: each is stored, and trying company after company is what a
// fraudster does, not a buyer.
const MaxAssessments = 50

// Assessed records a risk assessment that decided nothing yet: the one the
// buyer's dialog makes when it opens, to show what the buyer will get.
func (s *Session) Assessed(now time.Time, d risk.Decision) (*Session, error) {
	if s.Assessments() >= MaxAssessments {
		return nil, kassa.Errorf(kassa.EConflict, "too many attempts on session %s; start a new checkout", s.ID)
	}
	n := s.clone()
	n.record(assessment(now, d))
	n.UpdatedAt = now
	return n, nil
}

func assessment(now time.Time, d risk.Decision) Event {
	return Event{Type: EventAssessment, Outcome: d.Outcome, Tags: slices.Clone(d.Tags), CreatedAt: now}
}

func (n *Session) record(events ...Event) {
	n.Events = append(slices.Clone(n.Events), events...)
}

// Assessments counts the session's risk assessments.
func (s *Session) Assessments() int {
	k := 0
	for _, e := range s.Events {
		if e.Type == EventAssessment {
			k++
		}
	}
	return k
}

// WithPaymentMethod sets the payment method the buyer chose; empty means
// invoice.
func (s *Session) WithPaymentMethod(method string) (*Session, error) {
	switch method {
	case "", order.Invoice, order.AdvanceInvoice:
	default:
		return nil, kassa.Invalid("paymentMethod", "paymentMethod must be %q or %q", order.Invoice, order.AdvanceInvoice)
	}
	n := s.clone()
	n.PaymentMethod = method
	return n, nil
}

// NeededSignatory says whether the session was ever parked for a
// signatory, so that its signing link stays meaningful (it then shows the
// outcome).
func (s *Session) NeededSignatory() bool { return s.SignatoryRequested }

// DialogState is what the buyer's dialog can do with the session at now:
// "open" when the buyer can (re)authorize, else why not: expired,
// cancelled or completed (it has an order, awaits a signatory, or a
// signatory approved it: authorizing again would replace their approval).
func (s *Session) DialogState(now time.Time) string {
	switch st := s.StateAt(now); {
	case st == StateExpired || st == StateCancelled:
		return st
	case s.OrderID != "" || st == StateAwaitingSignatory || (st == StateAuthorized && s.SignatoryRequested):
		return "completed"
	}
	return "open"
}
