package dashboard

import (
	"bytes"
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
// Target, for a replay's audit event).
type actDone struct{ Done, Notice string }

// act runs c for the signed-in user's form r and sends the browser on
// (303), or returns why it could not: a role that may not, a once key
// missing or used for another form, or the change's own error. Nothing
// is changed when it returns an error; the refusal is in the audit log.
func (s *Server) act(w http.ResponseWriter, r *http.Request, c change) error {
	done, _, err := s.apply(r, &c, http.StatusSeeOther)
	if err != nil {
		return err
	}
	s.flash(w, done.Notice)
	redirect(w, r, done.Done)
	return nil
}

// actShow is act for a change whose answer is shown once and kept
// nowhere, such as a secret it made: the first request's answer is
// show's page, rendered from what Run left in the handler's variables;
// a replay of the once key, which has no such answer, is sent on with
// the notice as act sends it. c is a pointer so that Run may name its
// Target.
func (s *Server) actShow(w http.ResponseWriter, r *http.Request, c *change, show func()) error {
	done, replay, err := s.apply(r, c, http.StatusOK)
	if err != nil {
		return err
	}
	if replay {
		s.flash(w, done.Notice)
		redirect(w, r, done.Done)
		return nil
	}
	show()
	return nil
}

// apply is act's change: it checks the role and the once key and runs c
// with its audit event (answered with status) and the once key's claim in
// one transaction, or, for a once key already used by the same form,
// records the replay (a redirect) and returns the first answer, replay
// true.
func (s *Server) apply(r *http.Request, c *change, status int) (done actDone, replay bool, err error) {
	ctx, u := r.Context(), current(r.Context())
	once := r.PostFormValue(onceField)
	err = u.Role.Permit(c.Need)
	if err == nil && (once == "" || len(once) > 64) {
		err = kassa.Invalid(onceField, "This form is incomplete. Go back, reload the page and send it again.")
	}
	if err == nil {
		fp := formPrint(r)
		err = s.app.Update(ctx, func(tx store.Tx) error {
			done, replay = actDone{}, false // a retried transaction starts again
			rec, err := tx.IdempotencyRecord(ctx, u.MerchantID, onceKey(once))
			if err != nil {
				return err
			}
			if rec != nil {
				if !bytes.Equal(rec.Fingerprint, fp) {
					return kassa.Errorf(kassa.EIdempotencyMismatch, "This form was already sent with other values. Go back, reload the page and send it again.")
				}
				d, rest, _ := strings.Cut(string(rec.Body), "\n")
				n, target, _ := strings.Cut(rest, "\n")
				done, replay = actDone{d, n}, true
				if c.Target == "" {
					c.Target = target // what the first request made
				}
				return s.app.Audit(ctx, tx, audit.Event{MerchantID: u.MerchantID, Action: r.Pattern, Target: c.Target, Status: http.StatusSeeOther, Replay: true})
			}
			if done.Done, done.Notice, err = c.Run(ctx, tx); err != nil {
				return err
			}
			done.Notice = strings.ReplaceAll(done.Notice, "\n", " ") // the record's lines
			if err := s.app.Audit(ctx, tx, audit.Event{MerchantID: u.MerchantID, Action: r.Pattern, Target: c.Target, Status: status}); err != nil {
				return err
			}
			return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{
				MerchantID: u.MerchantID, Key: onceKey(once), Fingerprint: fp,
				Status: status, Body: []byte(done.Done + "\n" + done.Notice + "\n" + c.Target), CreatedAt: s.app.Now(),
			})
		})
	}
	if err != nil {
		code := kassa.ErrorCode(err)
		s.app.AuditAlone(ctx, audit.Event{MerchantID: u.MerchantID, Action: r.Pattern, Target: c.Target, Status: wire.Status(code), Outcome: code})
		return actDone{}, false, err
	}
	return done, replay, nil
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
