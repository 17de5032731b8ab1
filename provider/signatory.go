package provider

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/i18n"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// Signatory verification (docs/checkout.md, "Signatories"). In live mode
// a purchase that needs a signatory is approved by the person the buyer
// names, never by the buyer's session: the signing link is e-mailed to
// that person and reaches no browser of the buyer's or API response of
// the merchant's, and the signing page approves or declines only for
// someone who proved to be them, with a one-time code sent to their
// address separately or through the deployment's identity provider. The
// sandbox keeps its one-click page, with the link in the dialog.

// IdentityProvider verifies who a person is, for the signing page: a
// BankID-class service. The page sends the person to Begin's URL; the
// provider sends them back to the request's ReturnURL with its answer in
// the query, which Finish verifies.
type IdentityProvider interface {
	// Method names the provider in approvals ("bankid").
	Method() string
	// Begin starts a verification and returns where to send the person.
	Begin(ctx context.Context, req IdentityRequest) (redirect string, err error)
	// Finish verifies the provider's answer, the query of the request
	// that came back to ReturnURL, and returns whom it verified.
	Finish(ctx context.Context, req IdentityRequest, answer url.Values) (session.Identity, error)
}

// IdentityRequest is what a verification is for: the signatory the
// buyer named, for the company, and where the provider returns to. State
// binds the answer to this signing link; the provider returns it.
type IdentityRequest struct {
	SessionID, CompanyID, Country string
	Name, Email                   string
	ReturnURL, State              string
}

// Verification is how the signing page must verify its visitor: "" in
// the sandbox (anyone with the link approves), else order.VerifiedByEmailCode
// or the identity provider's method.
func (s *Service) Verification() string {
	switch {
	case !s.cfg.Live:
		return ""
	case s.cfg.Identity != nil:
		return s.cfg.Identity.Method()
	}
	return order.VerifiedByEmailCode
}

// SignatoryURL is the signing link as the buyer's dialog and the
// merchant's API may show it: in the sandbox, "" for a session that
// needs no signatory; never in live mode, where only the signatory
// receives it, by e-mail.
func (s *Service) SignatoryURL(ps *session.Session) string {
	if s.cfg.Live {
		return ""
	}
	return s.signingURL(ps)
}

func (s *Service) signingURL(ps *session.Session) string {
	if !ps.NeededSignatory() {
		return ""
	}
	return s.cfg.PublicURL + s.SigningPath(ps.ID)
}

// Named is the signatory a buyer names in the dialog.
type Named struct{ Name, Email string }

// nameSignatory records, in live mode, the signatory the buyer named for
// a session the assessment parked, and e-mails them the signing link.
// The sandbox needs none.
func (s *Service) nameSignatory(ctx context.Context, tx store.Tx, ps *session.Session, who Named, now time.Time) (*session.Session, error) {
	if !s.cfg.Live || ps.State != session.StateAwaitingSignatory {
		return ps, nil
	}
	next, err := ps.NameSignatory(now, who.Name, who.Email)
	if err != nil {
		return nil, err
	}
	m, err := tx.Merchant(ctx, ps.MerchantID)
	if err != nil {
		return nil, err
	}
	subject, body := signingMail(next, m.Name, s.signingURL(next))
	return next, s.QueueMessage(ctx, tx, Message{MerchantID: ps.MerchantID, To: next.Signatory.Email, Subject: subject, Body: body})
}

// signingMail is the e-mail that asks a session's signatory to approve
// it, for merchant, at url, in the session's language.
func signingMail(ps *session.Session, merchant, url string) (subject, body string) {
	c, p := ps.Customer, i18n.For(ps.Locale)
	until := p.Date(ps.ExpiresAt) + " " + ps.ExpiresAt.UTC().Format("15:04 MST")
	body = strings.Join([]string{
		p.T("mail.sign.hello", ps.Signatory.Name), "",
		p.T("mail.sign.asks", c.FirstName+" "+c.LastName, c.Email, c.CompanyName, c.CompanyID, merchant), "",
		p.T("mail.sign.total", p.Money(ps.Amount, ps.Currency)), "",
		p.T("mail.sign.review"), url, "",
		p.T("mail.sign.code"),
		p.T("mail.sign.until", until), "",
	}, "\n")
	return p.T("mail.sign.subject", merchant, c.CompanyName), body
}

// codeMail is the e-mail with a one-time code for a session's signatory,
// in the session's language.
func codeMail(ps *session.Session, code string) (subject, body string) {
	p := i18n.For(ps.Locale)
	body = strings.Join([]string{
		p.T("mail.code.is", code), "",
		p.T("mail.code.enter", ps.Customer.CompanyName, int(session.CodeLifetime/time.Minute)),
		p.T("mail.code.warn"), "",
	}, "\n")
	return p.T("mail.code.subject", code), body
}

// codeHash is the stored form of a one-time code: keyed, so that a copy
// of the database cannot try every code.
func (s *Service) codeHash(sessionID, code string) string {
	return s.MAC("signing code", sessionID, code)
}

// SendSigningCode sends the session's signatory a new one-time code, by
// e-mail through the outbox, and returns the session for the caller to
// save.
func (s *Service) SendSigningCode(ctx context.Context, tx store.Tx, ps *session.Session, env order.Env) (*session.Session, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return nil, err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	next, err := ps.SendCode(env.Now, s.codeHash(ps.ID, code))
	if err != nil {
		return nil, err
	}
	subject, body := codeMail(next, code)
	return next, s.QueueMessage(ctx, tx, Message{MerchantID: ps.MerchantID, To: next.Signatory.Email, Subject: subject, Body: body})
}

// CheckSigningCode checks the code entered on the signing page; ok says
// whether it verified the signatory. The caller saves next either way,
// to count a wrong guess, and then refuses a wrong one.
func (s *Service) CheckSigningCode(ps *session.Session, code string, now time.Time) (next *session.Session, ok bool, err error) {
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return nil, false, kassa.Invalid("code", "the code is the six digits in the e-mail")
	}
	return ps.CheckCode(now, s.codeHash(ps.ID, code))
}

// IdentityRequest is the identity provider's request for the signatory
// of ps, returning to returnURL.
func (s *Service) IdentityRequest(ps *session.Session, returnURL string) (IdentityRequest, error) {
	if s.cfg.Identity == nil {
		return IdentityRequest{}, kassa.Errorf(kassa.ENotFound, "no identity provider is configured")
	}
	if ps.Signatory == nil || ps.Customer == nil {
		return IdentityRequest{}, kassa.Errorf(kassa.EConflict, "session %s has no signatory named", ps.ID)
	}
	return IdentityRequest{
		SessionID: ps.ID, CompanyID: ps.Customer.CompanyID, Country: ps.Country,
		Name: ps.Signatory.Name, Email: ps.Signatory.Email,
		ReturnURL: returnURL, State: s.MAC("identity", ps.ID),
	}, nil
}

// BeginIdentity starts the identity provider's verification of the
// signatory of ps and returns where to send them. It is called outside
// any transaction.
func (s *Service) BeginIdentity(ctx context.Context, ps *session.Session, returnURL string) (string, error) {
	req, err := s.IdentityRequest(ps, returnURL)
	if err != nil {
		return "", err
	}
	return s.cfg.Identity.Begin(ctx, req)
}

// FinishIdentity verifies the identity provider's answer for the
// signatory of ps and returns whom it verified, for the caller to record
// (session.VerifyIdentity) in a transaction of its own: the provider is
// not called inside one.
func (s *Service) FinishIdentity(ctx context.Context, ps *session.Session, returnURL string, answer url.Values) (session.Identity, error) {
	req, err := s.IdentityRequest(ps, returnURL)
	if err != nil {
		return session.Identity{}, err
	}
	if !hmac.Equal([]byte(answer.Get("state")), []byte(req.State)) {
		return session.Identity{}, kassa.Errorf(kassa.EUnauthorized, "the identity provider's answer is not for this link")
	}
	id, err := s.cfg.Identity.Finish(ctx, req, answer)
	if err != nil {
		return session.Identity{}, &kassa.Error{Code: kassa.EUnauthorized, Message: "the identity provider did not verify you", Err: err}
	}
	id.Method = s.cfg.Identity.Method()
	return id, nil
}

// approval is who signs or declines ps: in live mode the verified
// signatory, in the sandbox whoever acted, by via.
func (s *Service) approval(ps *session.Session, via string, now time.Time) (order.Approval, error) {
	if s.cfg.Live {
		return ps.Verified(now)
	}
	a := order.Approval{Method: via, At: now}
	if ps.Signatory != nil {
		a.Name, a.Email = ps.Signatory.Name, ps.Signatory.Email
	}
	return a, nil
}
