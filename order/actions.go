package order

import (
	"time"

	"github.com/kassa-pay/kassa"
)

// Action types listed in a chunk's availableActions.
const (
	ActionCapture           = "capture"
	ActionPartialCapture    = "partialCapture"
	ActionCancel            = "cancel"
	ActionEditOrder         = "editOrder"
	ActionEditPaymentMethod = "editPaymentMethod"
	ActionExtendExpiry      = "extendExpiry"
	ActionRefund            = "refund"
	ActionPartialRefund     = "partialRefund"
)

var uncapturedActions = []string{
	ActionCapture, ActionPartialCapture, ActionCancel, ActionEditOrder, ActionEditPaymentMethod, ActionExtendExpiry,
}

// allow says why an action on the uncaptured chunk is not possible now, or
// nil. Operations and availableActions both ask it, so they cannot disagree.
func (o *Order) allow(action string, now time.Time) error {
	if o.Uncaptured == nil {
		if len(o.Captured) == 0 {
			return kassa.Errorf(kassa.EConflict, "order %s is cancelled", o.ID)
		}
		return kassa.Errorf(kassa.EConflict, "order %s has no uncaptured lines", o.ID)
	}
	switch action {
	case ActionCapture, ActionPartialCapture:
		switch {
		case !now.Before(o.ExpiresAt):
			return kassa.Errorf(kassa.EConflict, "order %s expired at %s", o.ID, o.ExpiresAt.Format(time.RFC3339))
		case !o.Ready:
			return kassa.Errorf(kassa.EConflict, "order %s is not ready for capture yet", o.ID)
		case o.PaymentMethod == AdvanceInvoice && !o.Acknowledged:
			return kassa.Errorf(kassa.EConflict, "an advance invoice order cannot be captured before it is acknowledged")
		case o.PaymentMethod == AdvanceInvoice && !o.Paid:
			return kassa.Errorf(kassa.EConflict, "an advance invoice order cannot be captured before its advance invoice is paid")
		}
	case ActionCancel:
		if o.PaymentMethod == AdvanceInvoice {
			return kassa.Errorf(kassa.EConflict, "an advance invoice order cannot be cancelled")
		}
	case ActionEditOrder:
		if o.PaymentMethod == AdvanceInvoice {
			return kassa.Errorf(kassa.EConflict, "an advance invoice order cannot be edited: its invoice has been sent")
		}
	case ActionEditPaymentMethod:
		switch {
		case o.PaymentMethod != Invoice:
			return kassa.Errorf(kassa.EConflict, "the payment method is already %s", o.PaymentMethod)
		case len(o.Captured) > 0:
			return kassa.Errorf(kassa.EConflict, "the payment method can only be changed before any capture")
		}
	case ActionExtendExpiry:
		if !o.ExpiresAt.Before(o.CreatedAt.Add(MaxExpiry)) {
			return kassa.Errorf(kassa.EConflict, "order expiry cannot be extended beyond %d days after creation", int(MaxExpiry/(24*time.Hour)))
		}
	}
	return nil
}

// Allow says why action, one of the uncaptured chunk's, is not possible
// now, or nil: the rule UncapturedActions lists by and the operation
// itself applies, for adapters that offer one action at a time.
func (o *Order) Allow(action string, now time.Time) error { return o.allow(action, now) }

// UncapturedActions lists what can be done with the uncaptured chunk now.
func (o *Order) UncapturedActions(now time.Time) []string {
	actions := []string{}
	for _, a := range uncapturedActions {
		if o.allow(a, now) == nil {
			actions = append(actions, a)
		}
	}
	return actions
}

// CapturedActions lists what can be done with a captured chunk: refunds,
// until it is fully refunded.
func (o *Order) CapturedActions(c *Chunk) []string {
	if o.RefundableOf(c) <= 0 {
		return []string{}
	}
	return []string{ActionRefund, ActionPartialRefund}
}
