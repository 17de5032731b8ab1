package payment

import (
	"encoding/json"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/money"
)

// NewCollection creates a collection of amount minor units of currency.
func NewCollection(env Env, merchantID, currency string, amount int64, metadata json.RawMessage) (*Collection, error) {
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		return nil, err
	}
	if err := checkAmount("amount", amount); err != nil {
		return nil, err
	}
	meta, err := checkMetadata("metadata", metadata)
	if err != nil {
		return nil, err
	}
	return &Collection{
		ID: env.IDs.New(PrefixCollection), MerchantID: merchantID,
		Currency: cur, Amount: amount, Status: NotPaid, Metadata: meta,
		CreatedAt: env.Now, UpdatedAt: env.Now, Version: 1,
	}, nil
}

// CollectionUpdate changes a collection; nil fields stay as they are.
type CollectionUpdate struct {
	Amount   *int64
	Metadata json.RawMessage
}

// Update changes an open collection. The currency never changes: its
// sessions and payments are in it. The amount never drops below what the
// collection's payments authorize (AuthorizedAmount, as Derive last
// found it): cancel a payment first.
func (c *Collection) Update(env Env, u CollectionUpdate) (*Collection, error) {
	if err := c.open(); err != nil {
		return nil, err
	}
	n := c.touched(env)
	if u.Amount != nil {
		if err := checkAmount("amount", *u.Amount); err != nil {
			return nil, err
		}
		if *u.Amount < c.AuthorizedAmount {
			return nil, kassa.Errorf(kassa.EConflict, "payment collection %s has %d authorized, more than the new amount %d; cancel a payment first", c.ID, c.AuthorizedAmount, *u.Amount)
		}
		n.Amount = *u.Amount
	}
	if u.Metadata != nil {
		meta, err := checkMetadata("metadata", u.Metadata)
		if err != nil {
			return nil, err
		}
		n.Metadata = meta
	}
	return n, nil
}

// Cancel cancels a collection nothing of which was captured, or is being
// captured, among its payments; its sessions are then of no use, and its
// payments can no longer be captured. Payments still authorized are the
// caller's to cancel.
func (c *Collection) Cancel(env Env, payments []*Payment) (*Collection, error) {
	if c.Status == Canceled {
		return c, nil
	}
	captures := c.Status == Completed
	for _, p := range payments {
		captures = captures || p.Captured() > 0 || p.Reserved(KindCapture) > 0
	}
	if captures {
		return nil, kassa.Errorf(kassa.EConflict, "payment collection %s has captured payments, or captures under way, and cannot be canceled; refund them instead", c.ID)
	}
	n := c.touched(env)
	n.Status = Canceled
	return n, nil
}

// Admit checks that the collection may take a new payment of amount: it
// is open, and with the payments it has (canceled ones aside) it
// authorizes no more than its amount. Every authorization is admitted
// in the transaction that creates its payment, with the collection
// locked, so concurrent ones cannot together exceed the amount.
func (c *Collection) Admit(payments []*Payment, amount int64) error {
	if err := c.open(); err != nil {
		return err
	}
	if authorized := authorizedBy(payments); authorized+amount > c.Amount {
		return kassa.Errorf(kassa.EConflict, "payment collection %s has %d of its %d authorized; a payment of %d would exceed it", c.ID, authorized, c.Amount, amount)
	}
	return nil
}

// CheckCapture refuses captures in a canceled collection, whose payments
// are only there to be canceled.
func (c *Collection) CheckCapture() error {
	if c.Status == Canceled {
		return kassa.Errorf(kassa.EConflict, "payment collection %s is canceled; cancel its payments instead", c.ID)
	}
	return nil
}

// authorizedBy is what payments authorize: a canceled one nothing.
func authorizedBy(payments []*Payment) int64 {
	var n int64
	for _, p := range payments {
		if p.Status != PaymentCanceled {
			n += p.Amount
		}
	}
	return n
}

func (c *Collection) open() error {
	switch c.Status {
	case Completed, Canceled:
		return kassa.Errorf(kassa.EConflict, "payment collection %s is %s", c.ID, c.Status)
	}
	return nil
}

// Derive recomputes the collection's amounts and status from all of its
// sessions and payments, and returns the collection unchanged (the same
// pointer) if nothing differs. Amounts are summed only over the
// collection's currency: anything else is a bug and an error.
func (c *Collection) Derive(env Env, sessions []*Session, payments []*Payment) (*Collection, error) {
	var captured, refunded int64
	for _, p := range payments {
		if p.CollectionID != c.ID || p.Currency != c.Currency {
			return nil, kassa.Errorf(kassa.EInternal, "payment %s does not belong to collection %s in %s", p.ID, c.ID, c.Currency)
		}
		captured += p.Captured()
		refunded += p.Refunded()
	}
	authorized := authorizedBy(payments)
	status := c.Status
	switch {
	case c.Status == Canceled || c.Status == Completed:
		// final: refunds after completion do not reopen a collection
	case captured >= c.Amount:
		status = Completed
	case authorized >= c.Amount:
		status = Authorized
	case authorized > 0:
		status = PartiallyAuthorized
	case len(sessions) > 0:
		status = Awaiting
	default:
		status = NotPaid
	}
	if status == c.Status && authorized == c.AuthorizedAmount && captured == c.CapturedAmount && refunded == c.RefundedAmount {
		return c, nil
	}
	n := c.touched(env)
	n.Status, n.AuthorizedAmount, n.CapturedAmount, n.RefundedAmount = status, authorized, captured, refunded
	if status == Completed && n.CompletedAt == nil {
		n.CompletedAt = at(env.Now)
	}
	return n, nil
}

// touched is a copy to change, stamped with the time and next version.
func (c *Collection) touched(env Env) *Collection {
	n := *c
	n.UpdatedAt = later(c.UpdatedAt, env.Now)
	n.Version++
	return &n
}
