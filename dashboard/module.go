package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/money"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// The payment module's pages: the merchant's collections, a collection's
// page with its sessions and payments, and capturing, refunding and
// cancelling a payment through paymod.Service's use cases, each from a
// page that shows what it will do.

// collectionStatusText names collections' statuses, in the order the
// status filter offers them.
var collectionStatusText = []option{
	{payment.NotPaid, "Not paid"},
	{payment.Awaiting, "Awaiting"},
	{payment.Authorized, "Authorized"},
	{payment.PartiallyAuthorized, "Partially authorized"},
	{payment.Completed, "Completed"},
	{payment.Canceled, "Cancelled"},
}

func textOf(opts []option, v string) string {
	for _, o := range opts {
		if o.Value == v {
			return o.Text
		}
	}
	return v
}

// moduleList is the collections page's view.
type moduleList struct {
	Status, Currency string // the filters as sent
	Statuses         []option
	Rows             []collectionRow
	Next             string
}

// collectionRow is a collection as the list and its page show it.
type collectionRow struct {
	ID, Status, Amount, Authorized, Captured, Refunded string
	Created                                            time.Time
}

func amountText(minor int64, c money.Currency) string {
	return string(c) + " " + money.Grouped(minor, c)
}

func collectionRowOf(c *payment.Collection) collectionRow {
	return collectionRow{
		ID: c.ID, Status: textOf(collectionStatusText, c.Status), Amount: amountText(c.Amount, c.Currency),
		Authorized: amountText(c.AuthorizedAmount, c.Currency), Captured: amountText(c.CapturedAmount, c.Currency),
		Refunded: amountText(c.RefundedAmount, c.Currency), Created: c.CreatedAt.UTC(),
	}
}

// modulePayments is the payment module, or not found when this Kassa
// serves the dashboard without it.
func (s *Server) modulePayments() (*paymod.Service, error) {
	if s.payments == nil {
		return nil, kassa.Errorf(kassa.ENotFound, "The payment module is not available here.")
	}
	return s.payments, nil
}

// moduleFilter reads the collections page's query as GET
// /v1/payment-module/collections reads its own
// (paymod.CollectionFilterOf).
func moduleFilter(q url.Values) (moduleList, store.CollectionFilter, error) {
	v := moduleList{Status: q.Get("status"), Currency: q.Get("currency")}
	f, err := paymod.CollectionFilterOf(q)
	f.Limit = listPage + 1
	return v, f, err
}

func (s *Server) handleModule(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Payment module")
	q := r.URL.Query()
	v, f, ferr := moduleFilter(q)
	v.Statuses = collectionStatusText
	p.Data = &v
	var pm *paymod.Service
	if err == nil {
		err = ferr
	}
	if err == nil {
		pm, err = s.modulePayments()
	}
	var cs []*payment.Collection
	if err == nil {
		cs, err = pm.Collections(r.Context(), p.User.MerchantID, "", f)
	}
	if err != nil {
		s.fail(w, r, "module", p, err)
		return
	}
	if len(cs) > listPage {
		cs = cs[:listPage]
		last := cs[listPage-1]
		v.Next = nextLink("/dashboard/module", q, list.Cursor(last.CreatedAt, last.ID))
	}
	for _, c := range cs {
		v.Rows = append(v.Rows, collectionRowOf(c))
	}
	s.render(w, r, http.StatusOK, "module", p)
}

// collectionView is a collection's page.
type collectionView struct {
	collectionRow
	Sessions []moduleSessionRow
	Payments []paymentView
}

type moduleSessionRow struct {
	ID, Provider, Amount, Status, PaymentID, Failure string
	Created                                          time.Time
}

// paymentView is a payment with its captures, refunds and cancellation,
// and what may be done with it now.
type paymentView struct {
	ID, Provider, Status, Amount, Captured, Refunded, Capturable, Refundable string
	CanCapture, CanRefund, CanCancel                                         bool
	Moves                                                                    []moveRow
}

// moveRow is a capture, refund or cancellation of a payment.
type moveRow struct {
	ID, Kind, Status, Amount, Reason, Note, Failure string
	Created                                         time.Time
}

var paymentStatusText = []option{
	{payment.PaymentAuthorized, "Authorized"},
	{payment.PaymentPartiallyCaptured, "Partially captured"},
	{payment.PaymentCaptured, "Captured"},
	{payment.PaymentCanceled, "Cancelled"},
}

var sessionStatusText = []option{
	{payment.SessionPending, "Pending"},
	{payment.SessionRequiresMore, "Requires more"},
	{payment.SessionPendingAuthorization, "Pending authorization"},
	{payment.SessionAuthorized, "Authorized"},
	{payment.SessionError, "Error"},
	{payment.SessionCanceled, "Cancelled"},
}

var moveStatusText = []option{{payment.Pending, "Pending"}, {payment.Succeeded, "Succeeded"}, {payment.Failed, "Failed"}}

func paymentViewOf(p *payment.Payment) paymentView {
	v := paymentView{
		ID: p.ID, Provider: p.ProviderID, Status: textOf(paymentStatusText, p.Status), Amount: amountText(p.Amount, p.Currency),
		Captured: amountText(p.Captured(), p.Currency), Refunded: amountText(p.Refunded(), p.Currency),
		Capturable: amountText(p.Capturable(), p.Currency), Refundable: amountText(p.Refundable(), p.Currency),
		CanCapture: p.Capturable() > 0, CanRefund: p.Refundable() > 0,
		CanCancel: p.Status != payment.PaymentCanceled && p.Captured() == 0 && p.Reserved(payment.KindCapture) == 0,
	}
	for _, l := range []struct {
		kind string
		ms   []payment.Movement
	}{{"Capture", p.Captures}, {"Refund", p.Refunds}, {"Cancellation", p.Cancels}} {
		for _, m := range l.ms {
			row := moveRow{ID: m.ID, Kind: l.kind, Status: textOf(moveStatusText, m.Status), Reason: m.Reason, Note: m.Note, Failure: m.Failure, Created: m.CreatedAt.UTC()}
			if l.kind != "Cancellation" {
				row.Amount = amountText(m.Amount, p.Currency)
			}
			v.Moves = append(v.Moves, row)
		}
	}
	return v
}

func (s *Server) handleCollection(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Collection")
	var pm *paymod.Service
	if err == nil {
		pm, err = s.modulePayments()
	}
	var c *paymod.CollectionView
	if err == nil {
		c, err = pm.Collection(r.Context(), p.User.MerchantID, r.PathValue("id"))
	}
	if err != nil {
		s.fail(w, r, "module-collection", p, err)
		return
	}
	v := &collectionView{collectionRow: collectionRowOf(c.Collection)}
	for _, ps := range c.Sessions {
		v.Sessions = append(v.Sessions, moduleSessionRow{
			ID: ps.ID, Provider: ps.ProviderID, Amount: amountText(ps.Amount, ps.Currency), Status: textOf(sessionStatusText, ps.Status),
			PaymentID: ps.PaymentID, Failure: ps.Failure, Created: ps.CreatedAt.UTC(),
		})
	}
	role := p.User.Role
	for _, pay := range c.Payments {
		pv := paymentViewOf(pay)
		// Only the actions the user's role may take are offered.
		pv.CanCapture = pv.CanCapture && role.Can(user.Capture)
		pv.CanRefund = pv.CanRefund && role.Can(user.Refund)
		pv.CanCancel = pv.CanCancel && role.Can(user.Cancel)
		v.Payments = append(v.Payments, pv)
	}
	p.Title = "Collection " + c.ID
	p.Data = v
	s.render(w, r, http.StatusOK, "module-collection", p)
}

// moduleMove is one of the things the pages do to a payment.
type moduleMove struct {
	kind  string      // payment.KindCapture, KindRefund or KindCancel: the path's last segment
	need  user.Action // what the user's role must permit
	title string
	done  string // the notice's verb
}

var moduleMoves = []moduleMove{
	{payment.KindCapture, user.Capture, "Capture a payment", "Captured"},
	{payment.KindRefund, user.Refund, "Refund a payment", "Refunded"},
	{payment.KindCancel, user.Cancel, "Cancel a payment", "Cancelled"},
}

// moveForm is the confirmation page of a capture, refund or cancellation.
type moveForm struct {
	Kind, PaymentID, CollectionID, Currency string
	// Left is what the movement may take at most; Amount the amount
	// field's value (what is left, unless the form sent another).
	Left, Amount, Reason, Note string
	Payment                    paymentView
}

// movePage reads the payment and makes the confirmation page of k, for a
// user whose role permits it.
func (s *Server) movePage(w http.ResponseWriter, r *http.Request, k moduleMove) (page, *moveForm, error) {
	p, err := s.viewer(w, r, k.title)
	if err != nil {
		return p, nil, err
	}
	if err := p.User.Role.Permit(k.need); err != nil {
		return p, nil, err
	}
	pm, err := s.modulePayments()
	if err != nil {
		return p, nil, err
	}
	pay, err := pm.Payment(r.Context(), p.User.MerchantID, r.PathValue("id"))
	if err != nil {
		return p, nil, err
	}
	f := &moveForm{Kind: k.kind, PaymentID: pay.ID, CollectionID: pay.CollectionID, Currency: string(pay.Currency), Payment: paymentViewOf(pay)}
	switch k.kind {
	case payment.KindCapture:
		f.Left = f.Payment.Capturable
		f.Amount = money.Decimal(pay.Capturable(), pay.Currency)
	case payment.KindRefund:
		f.Left = f.Payment.Refundable
		f.Amount = money.Decimal(pay.Refundable(), pay.Currency)
	}
	p.Data = f
	return p, f, nil
}

func (s *Server) handleMovePage(k moduleMove) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _, err := s.movePage(w, r, k)
		if err != nil {
			s.fail(w, r, "module-move", p, err)
			return
		}
		p.Once = newOnce()
		s.render(w, r, http.StatusOK, "module-move", p)
	}
}

func (s *Server) handleMove(k moduleMove) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, id := current(r.Context()), r.PathValue("id")
		f := &moveForm{Amount: r.PostFormValue("amount"), Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note")}
		req := payment.MovementRequest{Key: onceKey(r.PostFormValue(onceField)), CreatedBy: "user:" + u.ID}
		if k.kind == payment.KindRefund {
			req.Reason, req.Note = f.Reason, f.Note
		}
		err := s.moduleAct(w, r, moduleChange{Need: k.need, Target: id,
			Run: func(ctx context.Context, pm *paymod.Service) (any, error) {
				if k.kind != payment.KindCancel {
					pay, err := pm.Payment(ctx, u.MerchantID, id)
					if err != nil {
						return nil, err
					}
					if req.Amount, err = parseAmount(f.Amount, pay.Currency); err != nil {
						return nil, err
					}
				}
				switch k.kind {
				case payment.KindCapture:
					return pm.Capture(ctx, u.MerchantID, id, req)
				case payment.KindRefund:
					return pm.Refund(ctx, u.MerchantID, id, req)
				}
				return pm.Cancel(ctx, u.MerchantID, id, req)
			},
			Done: func(result any) (string, string) {
				pay := result.(*payment.Payment)
				notice := k.done + " payment " + pay.ID + "."
				ms := pay.Captures
				if k.kind == payment.KindRefund {
					ms = pay.Refunds
				}
				for _, m := range ms {
					if k.kind != payment.KindCancel && m.Key == req.Key {
						notice = k.done + " " + amountText(m.Amount, pay.Currency) + " of payment " + pay.ID + "."
					}
				}
				return "/dashboard/module/collections/" + pay.CollectionID, notice
			}})
		if err == nil {
			return
		}
		// The page again, with what the form sent and the same once key:
		// sent again, it resumes what this one began, if anything.
		p, shown, perr := s.movePage(w, r, k)
		if perr != nil {
			s.fail(w, r, "module-move", p, perr)
			return
		}
		shown.Amount, shown.Reason, shown.Note = f.Amount, f.Reason, f.Note
		p.Once = r.PostFormValue(onceField)
		s.fail(w, r, "module-move", p, err)
	}
}

// parseAmount reads an amount typed in currency's unit ("1 500,50",
// "1500.50", "1500") as minor units; "" is 0, all that is left.
func parseAmount(text string, c money.Currency) (int64, error) {
	text = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, text)
	if text == "" {
		return 0, nil
	}
	bad := kassa.Invalid("amount", "Type the amount in %s, with at most %d decimals: 1500 or 1500.50.", c, c.Digits())
	whole, frac, _ := strings.Cut(strings.Replace(text, ",", ".", 1), ".")
	if whole == "" || len(whole) > 13 || len(frac) > c.Digits() || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, bad
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", c.Digits()-len(frac)), 10, 64)
	if err != nil || n <= 0 {
		return 0, kassa.Invalid("amount", "The amount must be more than 0.")
	}
	return n, nil
}

// The payment module's changes talk to a provider between their
// transactions, so they cannot run inside act's one transaction. moduleAct
// is act for them: the same role check, once key, audit event and
// notice, with the once key claimed in each of the use case's write
// transactions (paymod.Key) and its answer, with the audit event, stored
// in the transaction of its last change. A once key whose change began
// and did not finish (the provider did not answer) resumes it when the
// form is sent again, with the same provider idempotency key.

// moduleChange is a payment-module form's change as moduleAct runs it.
type moduleChange struct {
	Need   user.Action
	Target string
	// Run makes the change with pm, which claims the form's once key.
	Run func(ctx context.Context, pm *paymod.Service) (any, error)
	// Done says, from Run's result, where the browser goes and the
	// notice shown there.
	Done func(result any) (done, notice string)
}

func (s *Server) moduleAct(w http.ResponseWriter, r *http.Request, c moduleChange) error {
	f, err := s.begin(r, c.Need, c.Target)
	var pm *paymod.Service
	if err == nil {
		pm, err = s.modulePayments()
	}
	if err == nil {
		_, err = c.Run(r.Context(), pm.WithKey(&moduleKey{form: f, answerOf: c.Done}))
	}
	if errors.Is(err, errAnswered) {
		// The form's first request answered: its answer again, the
		// replay in the audit log.
		s.app.AuditAlone(r.Context(), f.event(http.StatusSeeOther))
		err = nil
	}
	return s.end(w, r, f, err)
}

// moduleKey is a form's once key as the payment module claims it
// (paymod.Key).
type moduleKey struct {
	*form
	answerOf func(result any) (done, notice string)
}

// errAnswered ends a payment-module use case whose form was answered
// before; moduleAct answers it as the first request did.
var errAnswered = errors.New("the form was answered before")

func (k *moduleKey) Claim(ctx context.Context, tx store.Tx) ([]byte, error) {
	rec, err := k.record(ctx, tx)
	switch {
	case err != nil || rec == nil:
		return nil, err
	case rec.Pending():
		return rec.Body, nil
	}
	k.replayed(rec)
	return nil, errAnswered
}

func (k *moduleKey) Intend(ctx context.Context, tx store.Tx, intent []byte) error {
	return k.put(ctx, tx, store.Pending, intent)
}

func (k *moduleKey) Answer(ctx context.Context, tx store.Tx, result any) error {
	d, n := k.answerOf(result)
	k.done = &actDone{d, n}
	return k.answer(ctx, tx)
}
