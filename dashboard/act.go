package dashboard

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
	"github.com/kassa-pay/kassa/wire"
)

// The one path for a form that changes something (docs/dashboard.md,
// "Changing things"). Each such form is reached from a page that shows
// what it will do and asks to confirm it, and carries, beside its CSRF
// token, a once key made when the page was rendered. act checks the
// user's role, then runs the change in one store transaction that also
// claims the once key and records the audit event: a double click, or a
// form sent again with the browser's back button, applies once, and the
// second answer is the first's.

// onceField is the name of a form's once key.
const onceField = "once"

// onceKey is the store's idempotency key for a dashboard form's once
// key: apart from an API client's keys.
func onceKey(once string) string { return "dashboard:" + once }

// newOnce is a fresh once key for a form about to be rendered.
func newOnce() string { return user.NewSecret() }

// change is a form's change as act runs it.
type change struct {
	// Need is what the user's role must permit.
	Need user.Action
	// Target names what the change acts on in the audit log: an ID. A
	// change that makes something may set it in Run, when it is known
	// (actShow).
	Target string
	// Run makes the change in tx and says where the browser goes after
	// it and the notice shown there.
	Run func(ctx context.Context, tx store.Tx) (done, notice string, err error)
}

// actDone is what a once key's record keeps: where the first request
// sent the browser and what it said there (and, after them, the change's
// target, for a replay's audit event).
type actDone struct{ Done, Notice string }

// act runs c for the signed-in user's form r and sends the browser on
// (303), or returns why it could not: a role that may not, a once key
// missing or used for another form, or the change's own error. Nothing
// is changed when it returns an error; the refusal is in the audit log.
// c is a pointer so that Run may name its Target, as in actShow.
func (s *Server) act(w http.ResponseWriter, r *http.Request, c *change) error {
	f, err := s.begin(r, c.Need, c.Target)
	if err == nil {
		err = s.apply(r, f, c)
	}
	return s.end(w, r, f, err)
}

// actShow is act for a change whose answer is a page shown once and kept
// nowhere, such as a secret it made: the first request's answer is
// show's page (200), rendered from what Run left in the handler's
// variables; a replay of the once key, which has no such answer, is sent
// on with the notice as act sends it.
func (s *Server) actShow(w http.ResponseWriter, r *http.Request, c *change, show func()) error {
	f, err := s.begin(r, c.Need, c.Target)
	f.status = http.StatusOK
	if err == nil {
		err = s.apply(r, f, c)
	}
	if err != nil || f.replay {
		return s.end(w, r, f, err)
	}
	show()
	return nil
}

// apply runs c for f in one transaction with the once key's claim and
// the audit event; for a form sent before, it answers as the first
// request did.
func (s *Server) apply(r *http.Request, f *form, c *change) error {
	return s.app.Update(r.Context(), func(tx store.Tx) error {
		if done, err := f.claim(r.Context(), tx); err != nil || done != nil {
			return err
		}
		f.done = &actDone{}
		var err error
		if f.done.Done, f.done.Notice, err = c.Run(r.Context(), tx); err != nil {
			return err
		}
		f.target = c.Target // named by Run when it made it
		return f.answer(r.Context(), tx)
	})
}

// form is a form that changes something, as act and moduleAct run it.
type form struct {
	s          *Server
	merchantID string
	once       string
	fp         []byte
	action     string // the audit event's: the route
	target     string
	done       *actDone // its answer, once it has one
	replay     bool     // the answer was the first request's
	status     int      // the answer's, when not a redirect (303)
}

// begin checks the user's role and the form's once key.
func (s *Server) begin(r *http.Request, need user.Action, target string) (*form, error) {
	u := current(r.Context())
	f := &form{s: s, merchantID: u.MerchantID, once: r.PostFormValue(onceField), fp: formPrint(r), action: r.Pattern, target: target}
	if err := u.Role.Permit(need); err != nil {
		return f, err
	}
	if f.once == "" || len(f.once) > 64 {
		return f, kassa.Invalid(onceField, "This form is incomplete. Go back, reload the page and send it again.")
	}
	return f, nil
}

// claim reads the form's once key in tx: the first answer, when it was
// sent before (and the replay's audit event added to tx); nil when it
// was not, or when its change began and has not answered (pending, whose
// intent is then in f). The same key with other values is refused.
func (f *form) claim(ctx context.Context, tx store.Tx) (*actDone, error) {
	rec, err := f.record(ctx, tx)
	if err != nil || rec == nil || rec.Pending() {
		return nil, err
	}
	f.replayed(rec)
	return f.done, f.s.app.Audit(ctx, tx, f.event(http.StatusSeeOther))
}

// replayed takes rec, the once key's answered record, as f's answer.
func (f *form) replayed(rec *store.IdempotencyRecord) {
	d, rest, _ := strings.Cut(string(rec.Body), "\n")
	n, target, _ := strings.Cut(rest, "\n")
	f.done, f.replay = &actDone{d, n}, true
	if f.target == "" {
		f.target = target // what the first request made
	}
}

// record is the form's once key's record in tx, if any.
func (f *form) record(ctx context.Context, tx store.Tx) (*store.IdempotencyRecord, error) {
	rec, err := tx.IdempotencyRecord(ctx, f.merchantID, onceKey(f.once))
	if err == nil && rec != nil && !bytes.Equal(rec.Fingerprint, f.fp) {
		return nil, kassa.Errorf(kassa.EIdempotencyMismatch, "This form was already sent with other values. Go back, reload the page and send it again.")
	}
	return rec, err
}

// answer records f.done as the once key's answer in tx, with the
// change's audit event.
func (f *form) answer(ctx context.Context, tx store.Tx) error {
	status := cmp.Or(f.status, http.StatusSeeOther)
	if err := f.s.app.Audit(ctx, tx, f.event(status)); err != nil {
		return err
	}
	notice := strings.ReplaceAll(f.done.Notice, "\n", " ") // the record's lines
	return f.put(ctx, tx, status, []byte(f.done.Done+"\n"+notice+"\n"+f.target))
}

func (f *form) put(ctx context.Context, tx store.Tx, status int, body []byte) error {
	return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{
		MerchantID: f.merchantID, Key: onceKey(f.once), Fingerprint: f.fp,
		Status: status, Body: body, CreatedAt: f.s.app.Now(),
	})
}

func (f *form) event(status int) audit.Event {
	return audit.Event{MerchantID: f.merchantID, Action: f.action, Target: f.target, Status: status, Replay: f.replay}
}

// end answers a form that ran, or records why it failed and returns
// that.
func (s *Server) end(w http.ResponseWriter, r *http.Request, f *form, err error) error {
	if err != nil {
		code := kassa.ErrorCode(err)
		e := f.event(wire.Status(code))
		e.Outcome, e.Replay = code, false
		s.app.AuditAlone(r.Context(), e)
		return err
	}
	s.flash(w, f.done.Notice)
	redirect(w, r, f.done.Done)
	return nil
}

// formPrint identifies a form as sent: its path and its fields but the
// CSRF token, which changes with the session.
func formPrint(r *http.Request) []byte {
	h := sha256.New()
	io.WriteString(h, r.URL.Path+"\n")
	f := url.Values{}
	for k, v := range r.PostForm {
		if k != "csrf" {
			f[k] = slices.Clone(v)
		}
	}
	io.WriteString(h, f.Encode())
	return h.Sum(nil)
}

// The notice a change leaves for the page the browser is sent to travels
// in a short-lived cookie: never in the URL, where text from a link
// could pose as Kassa's.
const noticeCookie = "kassa_notice"

func (s *Server) flash(w http.ResponseWriter, notice string) {
	if notice != "" {
		s.setCookie(w, noticeCookie, url.QueryEscape(notice), 60)
	}
}

// takeNotice is the notice left for r, if any, and forgets it.
func (s *Server) takeNotice(w http.ResponseWriter, r *http.Request) string {
	v := s.cookie(r, noticeCookie)
	if v == "" {
		return ""
	}
	s.setCookie(w, noticeCookie, "", -1)
	notice, _ := url.QueryUnescape(v)
	return notice
}
