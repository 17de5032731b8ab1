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
	EventDialogClosed          = "dialogClosed"
)

// Event is one entry of a session's history, only ever appended to.
type Event struct {
	Type    string   `json:"type"`
	Outcome string   `json:"outcome,omitempty"` // of an assessment
	Tags    []string `json:"tags,omitempty"`    // of an assessment
	Token   string   `json:"authorizationToken,omitempty"`
	// Dialog is the buyer's dialog (the nonce of its page token) whose
	// request made the event, if one did.
	Dialog string `json:"dialog,omitempty"`
	// Signatory is who approved or declined, on those events.
	Signatory *order.Approval `json:"signatory,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
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

// InDialog returns next, the result of an operation on s, with the events
// the operation added attributed to the buyer's dialog: DialogOutcome and
// CloseDialog read them.
func (s *Session) InDialog(next *Session, dialog string) *Session {
	n := next.clone()
	for i := len(s.Events); i < len(n.Events); i++ {
		n.Events[i].Dialog = dialog
	}
	return n
}

// DialogOutcome is what the buyer's dialog placed: StateAwaitingSignatory,
// StateAuthorized with the token it was given, or "" if it placed nothing.
// A purchase the dialog parked for a signatory stays its outcome after
// the signatory acts: that is what the dialog's page was told.
func (s *Session) DialogOutcome(dialog string) (state, token string) {
	for _, e := range slices.Backward(s.Events) {
		if e.Dialog != dialog {
			continue
		}
		switch e.Type {
		case EventAuthorizationPending:
			return StateAwaitingSignatory, ""
		case EventAuthorizationCreate:
			return StateAuthorized, e.Token
		}
	}
	return "", ""
}

// DialogClosed says whether the buyer's dialog was closed: it may then
// change nothing more.
func (s *Session) DialogClosed(dialog string) bool {
	return slices.ContainsFunc(s.Events, func(e Event) bool { return e.Type == EventDialogClosed && e.Dialog == dialog })
}

// CloseDialog records that the buyer's dialog was closed, so that a
// confirmation it sent that is still on its way is refused and its
// outcome (DialogOutcome) is final. A dialog that never assessed needs no
// record, and gets none (ok false): its page confirms only after an
// assessment answered, and sends nothing once closed (the SDK removes its
// frame before asking, and the dialog asks only as it leaves). So the
// records stay as few as the assessments (MaxAssessments).
func (s *Session) CloseDialog(now time.Time, dialog string) (next *Session, ok bool) {
	assessed := slices.ContainsFunc(s.Events, func(e Event) bool { return e.Type == EventAssessment && e.Dialog == dialog })
	if !assessed || s.DialogClosed(dialog) {
		return s, false
	}
	n := s.clone()
	n.record(Event{Type: EventDialogClosed, Dialog: dialog, CreatedAt: now})
	n.UpdatedAt = now
	return n, true
}
