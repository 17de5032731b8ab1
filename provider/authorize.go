package provider

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// Confirmation is what the buyer confirms a purchase with: who buys, how
// they pay, and, for a purchase that needs a signatory in live mode, whom
// they name to approve it.
type Confirmation struct {
	Buyer     order.Customer
	Method    string
	Signatory Named
}

// Authorization is what authorizing answers: the state and, when
// authorized, the token (the SDK's promise resolves to the same fields).
type Authorization struct {
	State              string `json:"state"`
	AuthorizationToken string `json:"authorizationToken,omitempty"`
}

// Authorize is the one authorization path: the buyer's dialog and the
// sandbox endpoint both call it inside their store transaction, and save
// the session it returns. It takes the company's credit line lock before
// reading its exposure, so concurrent authorizations of one company are
// assessed one after the other, each seeing the credit the previous ones
// reserved; then it reserves the session's amount on the line (see
// store.CheckoutWriter). The decision is recorded in the transaction; a
// rejection fails it, and the outbox records the decision after it.
func (s *Service) Authorize(ctx context.Context, tx store.Tx, ps *session.Session, in Confirmation, env order.Env) (*session.Session, Authorization, error) {
	var v Authorization
	ps, err := ps.WithPaymentMethod(in.Method)
	if err != nil {
		return nil, v, err
	}
	c, err := session.BuyerCustomer(in.Buyer, ps.Country)
	if err != nil {
		return nil, v, err
	}
	line := store.CreditLine{MerchantID: ps.MerchantID, CompanyID: c.CompanyID, Currency: ps.Currency}
	d, err := s.assess(ctx, tx, credit{kind: store.DecisionAuthorization, line: line, sessionID: ps.ID, amount: ps.Amount}, env.Now)
	if err != nil {
		return nil, v, err
	}
	next, tok, err := ps.Authorize(env, c, d)
	if err != nil {
		return nil, v, err
	}
	if next, err = s.nameSignatory(ctx, tx, next, in.Signatory, env.Now); err != nil {
		return nil, v, err
	}
	if err := s.supersede(ctx, tx, ps.MerchantID, ps.Token, env); err != nil {
		return nil, v, err
	}
	hold := store.CreditHold{SessionID: ps.ID, Line: line, Amount: ps.Amount, ExpiresAt: ps.ExpiresAt}
	if err := tx.PutCreditHold(ctx, hold); err != nil {
		return nil, v, err
	}
	v.State = next.State
	if tok != nil {
		if err := tx.PutToken(ctx, tok); err != nil {
			return nil, v, err
		}
		v.AuthorizationToken = tok.Token
	}
	return next, v, nil
}

// Decline records a signatory's refusal and gives back the credit the
// session reserved; the caller saves the session it returns. via is how
// the sandbox's signatory acted (order.VerifiedByLink or
// VerifiedBySandboxAPI); in live mode the signatory must have been
// verified (signatory.go).
func (s *Service) Decline(ctx context.Context, tx store.Tx, ps *session.Session, via string, env order.Env) (*session.Session, error) {
	a, err := s.approval(ps, via, env.Now)
	if err != nil {
		return nil, err
	}
	next, err := ps.Decline(env, a)
	if err != nil {
		return nil, err
	}
	return next, releaseHold(ctx, tx, ps.ID)
}

// Assess runs the risk assessment of a session's buyer without reserving
// anything (the buyer's dialog shows it before the buyer confirms, which
// assesses again under the credit line's lock), and returns the session
// with the assessment recorded, for the caller to save.
func (s *Service) Assess(ctx context.Context, tx store.Tx, ps *session.Session, c order.Customer, env order.Env) (*session.Session, risk.Decision, error) {
	line := store.CreditLine{MerchantID: ps.MerchantID, CompanyID: c.CompanyID, Currency: ps.Currency}
	d, err := s.assess(ctx, tx, credit{kind: KindAssessment, line: line, sessionID: ps.ID, amount: ps.Amount}, env.Now)
	if err != nil {
		return nil, d, err
	}
	next, err := ps.Assessed(env.Now, d)
	return next, d, err
}

// Sign completes a signatory's approval: the path of the signing page and
// of the sandbox endpoint, which save the session it returns. via is as
// for Decline. The session's credit hold, taken when it was parked,
// stays.
func (s *Service) Sign(ctx context.Context, tx store.Tx, ps *session.Session, via string, env order.Env) (*session.Session, Authorization, error) {
	a, err := s.approval(ps, via, env.Now)
	if err != nil {
		return nil, Authorization{}, err
	}
	next, tok, err := ps.Sign(env, a)
	if err != nil {
		return nil, Authorization{}, err
	}
	if err := tx.PutToken(ctx, tok); err != nil {
		return nil, Authorization{}, err
	}
	return next, Authorization{State: next.State, AuthorizationToken: tok.Token}, nil
}

// releaseHold gives back the credit a session reserved.
func releaseHold(ctx context.Context, tx store.Tx, sessionID string) error {
	return tx.PutCreditHold(ctx, store.CreditHold{SessionID: sessionID})
}

// holdOrder makes the order's session hold what the order now draws on.
func holdOrder(ctx context.Context, tx store.Tx, o *order.Order) error {
	return tx.PutCreditHold(ctx, store.CreditHold{
		SessionID: o.SessionID,
		Line:      store.CreditLine{MerchantID: o.MerchantID, CompanyID: o.Customer.CompanyID, Currency: o.Currency},
		Amount:    o.Exposure(),
	})
}

// creditCheck is what an order that grows above its authorized amount
// must pass: a new credit check against the company's exposure without
// this order, or the refusal the merchant's policy may set instead
// (risk.Settings.OrderEdits). An order cannot wait for a signatory, so
// needing one is a rejection too.
func (s *Service) creditCheck(ctx context.Context, tx store.Tx, o *order.Order, now time.Time) order.Approver {
	return func(newTotal int64) error {
		line := store.CreditLine{MerchantID: o.MerchantID, CompanyID: o.Customer.CompanyID, Currency: o.Currency}
		c := credit{kind: store.DecisionOrderEdit, line: line, sessionID: o.SessionID, orderID: o.ID, amount: newTotal}
		d, err := s.assess(ctx, tx, c, now)
		if err != nil {
			return err
		}
		switch d.Outcome {
		case risk.Rejected:
			return kassa.Errorf(kassa.ERejected, "the new total was declined: %s", d.Reason)
		case risk.Signatory:
			return kassa.Errorf(kassa.ERejected, "the new total needs a signatory's approval; create a new payment session for it")
		}
		return nil
	}
}
