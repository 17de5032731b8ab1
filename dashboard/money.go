package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/reconcile"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
	"github.com/kassa-pay/kassa/wire"
)

// The invoices, payments and sessions pages (docs/dashboard.md,
// "Invoices and payments", "Sessions"). They read what GET /v1/documents,
// GET /v1/payments and GET /v1/payment-sessions read, and change things
// through the API's use cases: provider.Service.RecordPayments (a bank
// file), MatchPayment and CancelSession.

// maxBankFile bounds an uploaded bank file's form, as the API's body
// limit bounds POST /v1/payments/import.
const maxBankFile = 1 << 20

// paymentRow is a bank payment as the payments page lists it.
type paymentRow struct {
	ID, Amount, Reference, BankRef, DocumentID string
	Booked                                     time.Time
}

func paymentRowOf(p *store.BankPayment) paymentRow {
	return paymentRow{ID: p.ID, Amount: amountText(p.Amount, p.Currency), Reference: p.Reference, BankRef: p.BankRef, DocumentID: p.DocumentID, Booked: p.BookedAt.UTC()}
}

// paymentsView is the payments page's own data.
type paymentsView struct {
	Unmatched, CanRecord bool
	Payments             []paymentRow
	Next                 string
}

// loadPayments reads into v the page of payments received that q asks
// for, as GET /v1/payments reads it: newest first, unmatched only or
// all, a page at a time.
func (s *Server) loadPayments(ctx context.Context, merchantID string, q url.Values, v *paymentsView) error {
	var (
		f   store.BankPaymentFilter
		err error
	)
	if v.Unmatched, err = list.Bool(q, "unmatched"); err != nil {
		return err
	}
	if _, f.After, err = list.Page(q, "payments"); err != nil {
		return err
	}
	f.Unmatched, f.Limit = v.Unmatched, listPage+1
	var ps []store.BankPayment
	err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
		ps, err = tx.BankPayments(ctx, merchantID, f)
		return err
	})
	if len(ps) > listPage {
		ps = ps[:listPage]
		v.Next = nextLink("/dashboard/payments", q, list.Cursor(ps[listPage-1].CreatedAt, ps[listPage-1].ID))
	}
	for i := range ps {
		v.Payments = append(v.Payments, paymentRowOf(&ps[i]))
	}
	return err
}

func (s *Server) handlePayments(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Payments")
	v := &paymentsView{CanRecord: p.User.Role.Can(user.RecordPayments)}
	p.Data = v
	if err == nil {
		err = s.loadPayments(r.Context(), p.User.MerchantID, r.URL.Query(), v)
	}
	if err != nil {
		s.fail(w, r, "payments", p, err)
		return
	}
	if v.CanRecord {
		p.Once = newOnce()
	}
	s.render(w, r, http.StatusOK, "payments", p)
}

// bankFileForm reads a signed-in user's multipart form, with its
// uploaded file, before the CSRF check of s.form reads its token from
// it: at most maxBankFile bytes, or 413; a form that is not multipart,
// or broken, is 400. Nothing is changed then.
func (s *Server) bankFileForm(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBankFile)
		err := r.ParseMultipartForm(maxBankFile)
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				err = kassa.Errorf(kassa.ETooLarge, "The file is larger than %d KiB. Split it, or import it through the API.", maxBankFile>>10)
			} else {
				err = kassa.Invalid("file", "This form could not be read. Go back, reload the page and choose the file again.")
			}
			s.paymentsFailed(w, r, err)
			return
		}
		defer r.MultipartForm.RemoveAll()
		h(w, r)
	}
}

// uploadedFile is the form's file, read whole.
func uploadedFile(r *http.Request) ([]byte, error) {
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, kassa.Invalid("file", "Choose a bank file to import: camt.054 (XML) or BgMax.")
	}
	defer f.Close()
	return io.ReadAll(f)
}

// handlePaymentsImport records an uploaded bank file's payments as
// POST /v1/payments/import does: all of them, or with a malformed file
// none. The notice counts the outcomes; the payments are listed.
func (s *Server) handlePaymentsImport(w http.ResponseWriter, r *http.Request) {
	u := current(r.Context())
	body, err := uploadedFile(r)
	if err == nil {
		// The once key's record ties it to this file: the same key with
		// another file is refused, not answered with the first's result.
		sum := sha256.Sum256(body)
		r.PostForm.Set("file", hex.EncodeToString(sum[:]))
		err = s.act(w, r, &change{Need: user.RecordPayments, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
			f, err := wire.BankFile(body)
			if err != nil {
				return "", "", err
			}
			res, err := s.app.RecordPayments(ctx, tx, u.MerchantID, f)
			if err != nil {
				return "", "", err
			}
			return "/dashboard/payments", importNotice(res), nil
		}})
	}
	if err != nil {
		s.paymentsFailed(w, r, err)
	}
}

// paymentsFailed shows the payments page with why a form failed.
func (s *Server) paymentsFailed(w http.ResponseWriter, r *http.Request, err error) {
	p, verr := s.viewer(w, r, "Payments")
	v := &paymentsView{CanRecord: p.User.Role.Can(user.RecordPayments)}
	p.Data = v
	if verr == nil {
		verr = s.loadPayments(r.Context(), p.User.MerchantID, url.Values{}, v)
	}
	if verr != nil { // the form's error is the answer
		p.Data = nil
	}
	if v.CanRecord {
		p.Once = newOnce()
	}
	s.fail(w, r, "payments", p, err)
}

// importNotice counts an import's outcomes.
func importNotice(res *reconcile.Result) string {
	n := map[string]int{}
	for _, a := range res.Payments {
		n[a.Outcome]++
	}
	format := map[string]string{reconcile.FormatCamt054: "camt.054", reconcile.FormatBgMax: "BgMax"}[res.Format]
	msg := fmt.Sprintf("Imported the %s file: %s.", format, counted(len(res.Payments), "payment", "payments"))
	var parts []string
	for _, o := range []struct{ outcome, text string }{
		{reconcile.Matched, "paid an invoice in full"},
		{reconcile.Partial, "paid part of an invoice"},
		{reconcile.Over, "paid more than its invoice asks"},
		{reconcile.Unmatched, "matched no invoice (match it by hand from the list)"},
		{reconcile.Duplicate, "recorded before, skipped"},
	} {
		if n[o.outcome] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[o.outcome], o.text))
		}
	}
	if len(parts) > 0 {
		msg += " " + strings.Join(parts, "; ") + "."
	}
	if len(res.Skipped) > 0 {
		msg += " " + counted(len(res.Skipped), "entry is", "entries are") + " not a payment, skipped."
	}
	return msg
}

// counted is n with the noun in its number: "1 payment", "2 payments".
func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// documentRow is a document as the invoices page and the match page
// list it.
type documentRow struct {
	ID, OrderID, Kind, Number, Reference, PaymentReference, Buyer string
	Total, Paid, Left, State                                      string
	Issued, Due                                                   time.Time
}

func documentRowOf(d *invoice.Document, paid int64, now time.Time) documentRow {
	v := documentRow{
		ID: d.ID, OrderID: d.OrderID, Kind: kindText[d.Kind], Reference: d.Reference, PaymentReference: d.PaymentReference, Buyer: d.Buyer.Name,
		Total: amountText(d.Total, d.Currency), Paid: amountText(paid, d.Currency), Issued: d.IssueDate, Due: d.DueDate,
	}
	if d.Number != 0 {
		v.Number = strconv.FormatInt(d.Number, 10)
	}
	switch left := d.Payable() - paid; {
	case d.Payable() == 0:
		v.State = "Asks for no payment"
	case left <= 0:
		v.State, v.Left = "Paid", amountText(0, d.Currency)
	case now.After(d.DueDate):
		v.State, v.Left = "Overdue", amountText(left, d.Currency)
	default:
		v.State, v.Left = "Unpaid", amountText(left, d.Currency)
	}
	return v
}

// matchView is the match page's own data: the payment, the documents
// to choose from and the one chosen.
type matchView struct {
	Payment   paymentRow
	Matched   bool
	Q         string
	Documents []documentRow
	Chosen    *documentRow
	After     string // what the chosen document will have been paid
}

// matchChoices is how many documents the match page offers.
const matchChoices = 20

// handleMatchPage shows an unmatched payment, the documents it may pay
// (those found by their reference or number, else the unpaid ones in
// its currency) and, once one is chosen, what matching will do, with the
// form that does it.
func (s *Server) handleMatchPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Match a payment")
	v := &matchView{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	p.Data = v
	if err == nil {
		err = p.User.Role.Permit(user.RecordPayments)
	}
	if err == nil && len([]rune(v.Q)) > list.MaxQuery {
		err = kassa.Invalid("q", "The search is longer than %d characters.", list.MaxQuery)
	}
	if err == nil {
		err = s.matchView(r, p.User.MerchantID, v, r.URL.Query().Get("document"))
	}
	if err != nil {
		s.fail(w, r, "match", p, err)
		return
	}
	p.Once = newOnce()
	s.render(w, r, http.StatusOK, "match", p)
}

// matchView fills v for the merchant's payment the request names, with
// the document chosen, if any.
func (s *Server) matchView(r *http.Request, merchantID string, v *matchView, chosen string) error {
	ctx := r.Context()
	return s.app.View(ctx, func(tx store.ReadTx) error {
		bp, err := tx.BankPayment(ctx, merchantID, r.PathValue("id"))
		if err != nil {
			return err
		}
		v.Payment, v.Matched = paymentRowOf(bp), bp.DocumentID != ""
		if v.Matched {
			return nil
		}
		now, err := s.app.NowOf(ctx, tx, merchantID)
		if err != nil {
			return err
		}
		if chosen != "" {
			d, err := tx.Document(ctx, merchantID, chosen)
			if err != nil {
				return err
			}
			paid, err := tx.DocumentPaid(ctx, d.ID)
			if err != nil {
				return err
			}
			row := documentRowOf(d, paid, now)
			v.Chosen, v.After = &row, amountText(paid+bp.Amount, d.Currency)
			return nil
		}
		f := store.DocumentFilter{Unpaid: true, Limit: 200}
		if v.Q != "" {
			f = store.DocumentFilter{Search: invoice.NormalizeReference(v.Q), Limit: matchChoices}
		}
		ds, err := tx.Documents(ctx, merchantID, f)
		for _, d := range ds {
			// Only documents in the payment's currency can take it
			// (reconcile.Match); a search shows what it found.
			if len(v.Documents) < matchChoices && (v.Q != "" || d.Currency == bp.Currency) {
				v.Documents = append(v.Documents, documentRowOf(d.Document, d.Paid, now))
			}
		}
		return err
	})
}

// handleMatch matches the payment to the document the form names
// (provider.Service.MatchPayment, as POST /v1/payments/{id}/match).
func (s *Server) handleMatch(w http.ResponseWriter, r *http.Request) {
	u, paymentID, documentID := current(r.Context()), r.PathValue("id"), r.PostFormValue("document")
	err := s.act(w, r, &change{Need: user.RecordPayments, Target: paymentID, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
		a, err := s.app.MatchPayment(ctx, tx, u.MerchantID, paymentID, documentID)
		if err != nil {
			return "", "", err
		}
		notice := "The payment is matched to document " + a.DocumentReference + "."
		switch {
		case a.OrderPaid:
			notice += " Its order is now paid."
		case a.Outcome == reconcile.Partial:
			notice += " The document is not paid in full yet."
		case a.Outcome == reconcile.Over:
			notice += " The document has been paid more than it asks."
		}
		return "/dashboard/payments", notice, nil
	}})
	if err == nil {
		return
	}
	p, verr := s.viewer(w, r, "Match a payment")
	v := &matchView{}
	p.Data = v
	if verr == nil {
		verr = s.matchView(r, u.MerchantID, v, "")
	}
	if verr != nil { // the change's error is the answer
		p.Data = nil
	}
	p.Once = newOnce()
	s.fail(w, r, "match", p, err)
}

// invoicesView is the invoices page's own data.
type invoicesView struct {
	Kind            string
	Unpaid, Overdue bool
	Kinds           []option
	Documents       []documentRow
	Next            string
}

// handleInvoices lists the merchant's documents as GET /v1/documents
// does: newest first, by kind, unpaid or overdue, a page at a time.
func (s *Server) handleInvoices(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Invoices")
	q := r.URL.Query()
	v := &invoicesView{Kind: q.Get("kind"), Unpaid: q.Get("unpaid") == "true", Overdue: q.Get("overdue") == "true"}
	for _, k := range []invoice.Kind{invoice.KindInvoice, invoice.KindAdvance, invoice.KindCreditNote} {
		v.Kinds = append(v.Kinds, option{string(k), kindText[k]})
	}
	p.Data = v
	f, ferr := provider.DocumentFilterOf(q)
	if err == nil {
		err = ferr
	}
	if err == nil {
		_, f.After, err = list.Page(q, "documents")
	}
	f.Limit = listPage + 1
	var (
		ds  []store.ListedDocument
		now time.Time
	)
	if err == nil {
		ctx := r.Context()
		err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
			ds, now, err = s.app.Documents(ctx, tx, p.User.MerchantID, f)
			return err
		})
	}
	if err != nil {
		s.fail(w, r, "invoices", p, err)
		return
	}
	if len(ds) > listPage {
		ds = ds[:listPage]
		v.Next = nextLink("/dashboard/invoices", q, list.Cursor(ds[listPage-1].CreatedAt, ds[listPage-1].ID))
	}
	for _, d := range ds {
		v.Documents = append(v.Documents, documentRowOf(d.Document, d.Paid, now))
	}
	s.render(w, r, http.StatusOK, "invoices", p)
}

// sessionStateText names sessions' states.
var sessionStateText = map[string]string{
	session.StateCreated:           "Open",
	session.StateAwaitingSignatory: "Awaiting a signatory",
	session.StateAuthorized:        "Authorised",
	session.StateCancelled:         "Cancelled",
	session.StateExpired:           "Expired",
}

// openSessions and anySession are the sessions page's state choices
// beside each state: open (the default), created or awaiting a
// signatory; and any.
const (
	openSessions = session.StateCreated + "," + session.StateAwaitingSignatory
	anySession   = "any"
)

// sessionRow is a payment session as the sessions page lists it.
type sessionRow struct {
	ID, State, StateText, Reference, Amount, Buyer, OrderID string
	Created, Expires                                        time.Time
	Cancellable                                             bool
}

// sessionsView is the sessions page's own data.
type sessionsView struct {
	Status    string
	Statuses  []option
	Sessions  []sessionRow
	Next      string
	CanCancel bool
}

func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Payment sessions")
	q := r.URL.Query()
	v := &sessionsView{Status: q.Get("status"), CanCancel: p.User.Role.Can(user.Cancel)}
	if v.Status == "" {
		v.Status = openSessions
	}
	v.Statuses = []option{{openSessions, "Open or awaiting a signatory"}, {anySession, "Any"}}
	for _, st := range provider.SessionStates {
		v.Statuses = append(v.Statuses, option{st, sessionStateText[st]})
	}
	p.Data = v
	states := v.Status
	if states == anySession {
		states = ""
	}
	f, ferr := provider.SessionFilterOf(url.Values{"status": {states}})
	if err == nil {
		err = ferr
	}
	if err == nil {
		_, f.After, err = list.Page(q, "payment sessions")
	}
	f.Limit = listPage + 1
	var (
		ss  []*session.Session
		now time.Time
	)
	if err == nil {
		ctx := r.Context()
		err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
			ss, now, err = s.app.Sessions(ctx, tx, p.User.MerchantID, f)
			return err
		})
	}
	if err != nil {
		s.fail(w, r, "sessions", p, err)
		return
	}
	if len(ss) > listPage {
		ss = ss[:listPage]
		v.Next = nextLink("/dashboard/sessions", q, list.Cursor(ss[listPage-1].CreatedAt, ss[listPage-1].ID))
	}
	for _, ps := range ss {
		v.Sessions = append(v.Sessions, sessionRowOf(ps, now))
	}
	s.render(w, r, http.StatusOK, "sessions", p)
}

func sessionRowOf(ps *session.Session, now time.Time) sessionRow {
	st := ps.StateAt(now)
	v := sessionRow{
		ID: ps.ID, State: st, StateText: sessionStateText[st], Reference: ps.Reference, Amount: amountText(ps.Amount, ps.Currency),
		OrderID: ps.OrderID, Created: ps.CreatedAt.UTC(), Expires: ps.ExpiresAt.UTC(), Cancellable: st == session.StateAwaitingSignatory,
	}
	if ps.Customer != nil {
		v.Buyer = ps.Customer.CompanyName
	}
	return v
}

// handleSessionCancelPage asks to confirm cancelling a session awaiting
// its signatory.
func (s *Server) handleSessionCancelPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Cancel a payment session")
	if err == nil {
		err = p.User.Role.Permit(user.Cancel)
	}
	if err == nil {
		var row sessionRow
		row, err = s.sessionRow(r, p.User.MerchantID)
		p.Data = &row
	}
	if err != nil {
		s.fail(w, r, "session-cancel", p, err)
		return
	}
	p.Once = newOnce()
	s.render(w, r, http.StatusOK, "session-cancel", p)
}

// sessionRow reads the merchant's session the request names.
func (s *Server) sessionRow(r *http.Request, merchantID string) (sessionRow, error) {
	ctx := r.Context()
	var row sessionRow
	err := s.app.View(ctx, func(tx store.ReadTx) error {
		ps, err := tx.Session(ctx, merchantID, r.PathValue("id"))
		if err != nil {
			return err
		}
		now, err := s.app.NowOf(ctx, tx, merchantID)
		row = sessionRowOf(ps, now)
		return err
	})
	return row, err
}

// handleSessionCancel cancels the session (provider.Service.CancelSession,
// as DELETE /v1/payment-sessions/{id}), which gives back the credit it
// reserved.
func (s *Server) handleSessionCancel(w http.ResponseWriter, r *http.Request) {
	u, id := current(r.Context()), r.PathValue("id")
	err := s.act(w, r, &change{Need: user.Cancel, Target: id, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
		if _, err := s.app.CancelSession(ctx, tx, u.MerchantID, id); err != nil {
			return "", "", err
		}
		return "/dashboard/sessions", "The payment session is cancelled.", nil
	}})
	if err == nil {
		return
	}
	p, verr := s.viewer(w, r, "Cancel a payment session")
	if verr == nil {
		var row sessionRow
		row, verr = s.sessionRow(r, u.MerchantID)
		p.Data = &row
	}
	if verr != nil {
		p.Data = nil
	}
	s.fail(w, r, "session-cancel", p, err)
}
