package provider_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/mail"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/mailer"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

const goodPassword = "correct horse battery staple"

var (
	home  = netip.MustParseAddr("192.0.2.10")
	other = netip.MustParseAddr("198.51.100.7")
)

// newUser adds a user of role with a password to the env's merchant.
func (e *env) newUser(email string, role user.Role) *user.User {
	e.t.Helper()
	var link string
	e.update(func(ctx context.Context, tx store.Tx) error {
		u, err := e.app.CreateUser(ctx, tx, e.merchant, email, role)
		if err != nil {
			return err
		}
		link, err = e.app.UserLink(ctx, tx, u, user.Invitation)
		return err
	})
	u, err := e.app.SetPassword(e.t.Context(), tokenOf(e.t, link), goodPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// tokenOf is the token a dashboard link carries.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q carries no token", link)
	}
	return u.Query().Get("token")
}

func (e *env) userEvents(action string) []audit.Event {
	e.t.Helper()
	es, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]audit.Event, error) {
		return tx.AuditEvents(e.t.Context(), e.merchant, store.AuditFilter{Action: action, Limit: 100})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := kassa.ErrorCode(err); got != code {
		t.Errorf("%s = %v, want code %s", what, err, code)
	}
}

// Bad input to CreateUser is a clear 4xx and stores nothing; an address
// belongs to one user.
func TestCreateUser(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		ctx := t.Context()
		for _, c := range []struct {
			merchant, email string
			role            user.Role
			code            string
		}{
			{e.merchant, "not an address", user.Owner, kassa.EInvalid},
			{e.merchant, "ada@example.com", "root", kassa.EInvalid},
			{"ac_none", "ada@example.com", user.Owner, kassa.ENotFound},
		} {
			err := e.app.Update(ctx, func(tx store.Tx) error {
				_, err := e.app.CreateUser(ctx, tx, c.merchant, c.email, c.role)
				return err
			})
			wantCode(t, "CreateUser("+c.email+", "+string(c.role)+")", err, c.code)
		}
		e.newUser("Ada@Example.com", user.Owner)
		err := e.app.Update(ctx, func(tx store.Tx) error {
			_, err := e.app.CreateUser(ctx, tx, e.merchant, "ada@example.com", user.Support)
			return err
		})
		wantCode(t, "CreateUser with a taken address", err, kassa.EInvalid)
		us, _ := provider.View(ctx, e.app, func(tx store.ReadTx) ([]user.User, error) { return tx.Users(ctx, e.merchant) })
		if len(us) != 1 || us[0].Email != "ada@example.com" || us[0].Role != user.Owner || !user.VerifyPassword(goodPassword, us[0].PasswordHash) {
			t.Errorf("users = %+v", us)
		}
		if es := e.userEvents(provider.ActionUserCreate); len(es) != 1 || es[0].Target != us[0].ID {
			t.Errorf("user create events = %+v", es)
		}
	})
}

// Signing in: the right password begins a session; a wrong one or an
// unknown address is one answer, recorded; five failures for an address
// make it wait, even with the right password, until the wait is over.
func TestSignInThrottled(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		ctx := t.Context()
		u := e.newUser("ada@example.com", user.Owner)
		in, err := e.app.SignIn(ctx, " ADA@example.com", goodPassword, home)
		if err != nil || in.Session.Pending || in.User.ID != u.ID {
			t.Fatalf("SignIn = %+v, %v", in, err)
		}
		_, nobody := e.app.SignIn(ctx, "nobody@example.com", goodPassword, home)
		_, wrong := e.app.SignIn(ctx, "ada@example.com", "wrong password!", home)
		if nobody == nil || wrong == nil || nobody.Error() != wrong.Error() || kassa.ErrorCode(wrong) != kassa.EUnauthorized {
			t.Errorf("unknown address: %v; wrong password: %v; want one unauthorized answer", nobody, wrong)
		}
		for range 4 {
			_, err := e.app.SignIn(ctx, "ada@example.com", "wrong password!", other)
			wantCode(t, "wrong password", err, kassa.EUnauthorized)
		}
		_, err = e.app.SignIn(ctx, "ada@example.com", goodPassword, other)
		wantCode(t, "the right password after 5 failures", err, kassa.ERateLimited)
		if !strings.Contains(err.Error(), "60 seconds") {
			t.Errorf("wait: %v, want 60 seconds", err)
		}
		e.clock.Advance(time.Minute)
		if _, err := e.app.SignIn(ctx, "ada@example.com", goodPassword, other); err != nil {
			t.Errorf("SignIn after the wait: %v", err)
		}
		es := e.userEvents(provider.ActionSignIn)
		var ok, refused int
		for _, ev := range es {
			if ev.Actor != provider.ActorOfUser(u) || ev.Target != u.ID {
				t.Errorf("sign-in event %+v, want the user as actor and target", ev)
			}
			if ev.Outcome == audit.OK {
				ok++
			} else if ev.Outcome == kassa.EUnauthorized {
				refused++
			}
		}
		if ok != 2 || refused != 5 {
			t.Errorf("sign-in events: %d ok, %d refused; want 2, 5", ok, refused)
		}
	})
}

// Sessions end when idle for 30 minutes, 12 hours after sign-in, or at
// sign-out.
func TestSessionExpiry(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		ctx := t.Context()
		e.newUser("ada@example.com", user.Owner)
		signIn := func() string {
			in, err := e.app.SignIn(ctx, "ada@example.com", goodPassword, home)
			if err != nil {
				t.Fatal(err)
			}
			return in.Secret
		}
		idle := signIn()
		e.clock.Advance(user.IdleTimeout - time.Second)
		if _, _, err := e.app.UserSession(ctx, idle); err != nil {
			t.Fatalf("session used within its idle time: %v", err)
		}
		e.clock.Advance(user.IdleTimeout - time.Second) // idle since the last use, which was recorded
		if _, _, err := e.app.UserSession(ctx, idle); err != nil {
			t.Fatalf("session used again within its idle time: %v", err)
		}
		e.clock.Advance(user.IdleTimeout)
		_, _, err := e.app.UserSession(ctx, idle)
		wantCode(t, "idle session", err, kassa.EUnauthorized)

		busy := signIn()
		for range 12 * 4 { // used every 15 minutes
			e.clock.Advance(15 * time.Minute)
			if _, _, err = e.app.UserSession(ctx, busy); err != nil {
				break
			}
		}
		wantCode(t, "session used for 12 hours", err, kassa.EUnauthorized)

		out := signIn()
		if err := e.app.SignOut(ctx, out); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.app.UserSession(ctx, out)
		wantCode(t, "signed-out session", err, kassa.EUnauthorized)
		if err := e.app.SignOut(ctx, out); err != nil {
			t.Errorf("signing out twice: %v", err)
		}
		_, _, err = e.app.UserSession(ctx, "")
		wantCode(t, "no session", err, kassa.EUnauthorized)
		if es := e.userEvents(provider.ActionSignOut); len(es) != 1 {
			t.Errorf("sign-out events = %+v", es)
		}
	})
}

// TOTP: enrolment turns on only with a matching code; signing in then
// takes a code, which replaces the pending session with a new one;
// a code is accepted once; wrong codes back off.
func TestTOTP(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		ctx := t.Context()
		u := e.newUser("ada@example.com", user.Owner)
		secret, uri, err := e.app.BeginTOTP(ctx, u.ID)
		if err != nil || !strings.Contains(uri, "secret="+secret) {
			t.Fatalf("BeginTOTP = %q, %q, %v", secret, uri, err)
		}
		stored, _ := provider.View(ctx, e.app, func(tx store.ReadTx) (*user.User, error) { return tx.User(ctx, u.ID) })
		if stored.TOTPEnabled || stored.TOTPSecret == "" || strings.Contains(stored.TOTPSecret, secret) {
			t.Errorf("stored TOTP state %+v: want sealed, not on", stored)
		}
		wantCode(t, "ConfirmTOTP(wrong)", e.app.ConfirmTOTP(ctx, u.ID, "000000"), kassa.EInvalid)
		if err := e.app.ConfirmTOTP(ctx, u.ID, user.TOTPCode(secret, e.clock.Now())); err != nil {
			t.Fatalf("ConfirmTOTP: %v", err)
		}
		_, _, err = e.app.BeginTOTP(ctx, u.ID)
		wantCode(t, "BeginTOTP when on", err, kassa.EConflict)

		e.clock.Advance(user.TOTPStep)
		in, err := e.app.SignIn(ctx, "ada@example.com", goodPassword, home)
		if err != nil || !in.Session.Pending {
			t.Fatalf("SignIn with TOTP on = %+v, %v; want a pending session", in, err)
		}
		_, err = e.app.VerifySignInCode(ctx, in.Secret, "123456", home)
		wantCode(t, "wrong code", err, kassa.EUnauthorized)
		code := user.TOTPCode(secret, e.clock.Now())
		full, err := e.app.VerifySignInCode(ctx, in.Secret, code, home)
		if err != nil || full.Session.Pending || full.Secret == in.Secret {
			t.Fatalf("VerifySignInCode = %+v, %v; want a full session with a new secret", full, err)
		}
		_, _, err = e.app.UserSession(ctx, in.Secret)
		wantCode(t, "the pending session after the code", err, kassa.EUnauthorized)
		if ses, _, err := e.app.UserSession(ctx, full.Secret); err != nil || ses.Pending {
			t.Errorf("full session = %+v, %v", ses, err)
		}
		_, err = e.app.VerifySignInCode(ctx, full.Secret, code, home)
		wantCode(t, "code step on a full session", err, kassa.EConflict)

		again, _ := e.app.SignIn(ctx, "ada@example.com", goodPassword, home)
		_, err = e.app.VerifySignInCode(ctx, again.Secret, code, home)
		wantCode(t, "the same code again", err, kassa.EUnauthorized)
		for range 4 { // with the replayed code, 5 failures since the last success
			e.app.VerifySignInCode(ctx, again.Secret, "111111", home)
		}
		_, err = e.app.VerifySignInCode(ctx, again.Secret, user.TOTPCode(secret, e.clock.Now().Add(user.TOTPStep)), home)
		wantCode(t, "a right code after 5 failures", err, kassa.ERateLimited)

		e.clock.Advance(user.PendingTimeout)
		_, _, err = e.app.UserSession(ctx, again.Secret)
		wantCode(t, "a pending session after 5 minutes", err, kassa.EUnauthorized)
	})
}

// A password reset e-mails a link (through the outbox and a real SMTP
// server) that sets a new password once and signs the user out
// everywhere; asking for an unknown address sends nothing and answers
// the same.
func TestPasswordReset(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		ctx := t.Context()
		e.newUser("ada@example.com", user.Finance)
		in, _ := e.app.SignIn(ctx, "ada@example.com", goodPassword, home)

		if err := e.app.RequestPasswordReset(ctx, "nobody@example.com"); err != nil {
			t.Errorf("reset for an unknown address: %v", err)
		}
		if err := e.app.RequestPasswordReset(ctx, "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		text := e.sendMail(t, "ada@example.com")
		link := ""
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "https://kassa.test/dashboard/set-password?token=") {
				link = strings.TrimSpace(line)
			}
		}
		tok := tokenOf(t, link)
		_, err := e.app.SetPassword(ctx, tok, "short")
		wantCode(t, "SetPassword(too short)", err, kassa.EInvalid)
		if _, err := e.app.SetPassword(ctx, tok, "a new and longer password"); err != nil {
			t.Fatalf("SetPassword with the link: %v", err)
		}
		_, err = e.app.SetPassword(ctx, tok, "yet another password")
		wantCode(t, "the link used twice", err, kassa.ENotFound)
		_, _, err = e.app.UserSession(ctx, in.Secret)
		wantCode(t, "a session from before the reset", err, kassa.EUnauthorized)
		if _, err := e.app.SignIn(ctx, "ada@example.com", "a new and longer password", home); err != nil {
			t.Errorf("signing in with the new password: %v", err)
		}
		_, err = e.app.SignIn(ctx, "ada@example.com", goodPassword, home)
		wantCode(t, "the old password", err, kassa.EUnauthorized)
	})
}

// sendMail sends the outbox's mail over a real SMTP server and returns
// the text of the one message to to.
func (e *env) sendMail(t *testing.T, to string) string {
	t.Helper()
	srv := kassatest.StartSMTP(t)
	sender := &mailer.Sender{
		Store: e.store, Clock: e.clock, Log: slog.New(slog.DiscardHandler), PublicURL: "https://kassa.test", KEK: kassatest.KEK(),
		SMTP:  mailer.SMTP{Host: "127.0.0.1", Port: srv.Port(), TLS: "none", From: "kassa@kassa.test"},
		Lease: time.Minute,
	}
	if _, err := sender.SendDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || strings.Join(msgs[0].To, ",") != to {
		t.Fatalf("messages sent: %+v, want one to %s", msgs, to)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil || msg.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Fatalf("body: %v, encoding %q", err, msg.Header.Get("Content-Transfer-Encoding"))
	}
	return strings.ReplaceAll(string(body), "\r\n", "\n")
}

// Invitations: who may invite whom, the e-mail with the link, and the
// link setting the first password once.
func TestInvite(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		ctx := t.Context()
		owner := e.newUser("owner@example.com", user.Owner)
		admin := e.newUser("admin@example.com", user.Admin)
		support := e.newUser("support@example.com", user.Support)
		invite := func(by *user.User, email string, role user.Role) error {
			return e.app.Update(ctx, func(tx store.Tx) error {
				_, err := e.app.Invite(ctx, tx, by, email, role)
				return err
			})
		}
		wantCode(t, "support invites", invite(support, "x@example.com", user.Support), kassa.EForbidden)
		wantCode(t, "admin invites an owner", invite(admin, "x@example.com", user.Owner), kassa.EForbidden)
		if err := invite(owner, "new@example.com", user.Finance); err != nil {
			t.Fatal(err)
		}
		text := e.sendMail(t, "new@example.com")
		if !strings.Contains(text, "owner@example.com has invited you to Möbler AB") {
			t.Errorf("invitation text:\n%s", text)
		}
		i := strings.Index(text, "https://kassa.test/dashboard/set-password?token=")
		if i < 0 {
			t.Fatalf("no link in:\n%s", text)
		}
		link, _, _ := strings.Cut(text[i:], "\n")
		if _, err := e.app.SetPassword(ctx, tokenOf(t, link), goodPassword); err != nil {
			t.Fatal(err)
		}
		in, err := e.app.SignIn(ctx, "new@example.com", goodPassword, home)
		if err != nil || in.User.Role != user.Finance || in.User.MerchantID != e.merchant {
			t.Errorf("the invited user signs in: %+v, %v", in, err)
		}
		if es := e.userEvents(provider.ActionUserInvite); len(es) != 1 || es[0].Actor != provider.ActorOfUser(owner) {
			t.Errorf("invite events = %+v", es)
		}
	})
}

// A sign-in link signs in once, within 15 minutes; the sandbox's owner
// link makes the owner once.
func TestSignInLink(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		ctx := t.Context()
		// Replicas starting together: each gets a link, one owner is made.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { _, errs[i] = e.app.SandboxOwnerLink(ctx, e.merchant, "owner@sandbox.test") })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("concurrent SandboxOwnerLink: %v", err)
		}
		link, err := e.app.SandboxOwnerLink(ctx, e.merchant, "owner@sandbox.test")
		if err != nil || !strings.HasPrefix(link, "https://kassa.test/dashboard/link?token=") {
			t.Fatalf("SandboxOwnerLink = %q, %v", link, err)
		}
		in, err := e.app.SignInWithLink(ctx, tokenOf(t, link))
		if err != nil || in.User.Role != user.Owner || in.User.Email != "owner@sandbox.test" {
			t.Fatalf("SignInWithLink = %+v, %v", in, err)
		}
		_, err = e.app.SignInWithLink(ctx, tokenOf(t, link))
		wantCode(t, "the link used twice", err, kassa.ENotFound)

		late, err := e.app.SandboxOwnerLink(ctx, e.merchant, "someone-else@sandbox.test")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(15 * time.Minute)
		_, err = e.app.SignInWithLink(ctx, tokenOf(t, late))
		wantCode(t, "a link 15 minutes old", err, kassa.ENotFound)
		us, _ := provider.View(ctx, e.app, func(tx store.ReadTx) ([]user.User, error) { return tx.Users(ctx, e.merchant) })
		if len(us) != 1 {
			t.Errorf("users after two owner links = %+v, want the one owner", us)
		}
		// A link is not a password reset: it cannot set a password.
		_, err = e.app.SetPassword(ctx, tokenOf(t, late), goodPassword)
		wantCode(t, "SetPassword with a sign-in link", err, kassa.ENotFound)
	})
}

// Password-reset e-mails to one address are held back after 3 in a row
// (the answer stays the same), for 5 minutes, then doubling.
func TestPasswordResetHeldBack(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		e.newUser("ada@example.com", user.Finance)
		request := func() {
			t.Helper()
			if err := e.app.RequestPasswordReset(t.Context(), "ada@example.com"); err != nil {
				t.Fatal(err)
			}
		}
		for range 4 {
			request()
		}
		if n := len(e.mails()); n != 3 {
			t.Errorf("%d mails after 4 requests, want 3", n)
		}
		e.clock.Advance(5 * time.Minute)
		request()
		request()
		if n := len(e.mails()); n != 4 {
			t.Errorf("%d mails after the wait and 2 more requests, want 4", n)
		}
	})
}

// Changing roles and removing users: only who manages users, an owner
// only by an owner, never the last owner, nobody themself, no other
// merchant's user; a removed user's sessions end.
func TestChangeUserRoleAndRemove(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		ctx := t.Context()
		owner := e.newUser("owner@example.com", user.Owner)
		admin := e.newUser("admin@example.com", user.Admin)
		finance := e.newUser("finance@example.com", user.Finance)
		foreign := &user.User{ID: "usr_foreign", MerchantID: "ac_other", Email: "foreign@example.com", Role: user.Support, CreatedAt: e.clock.Now()}
		e.update(func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, foreign) })
		role := func(by *user.User, id string, to user.Role) error {
			return e.app.Update(ctx, func(tx store.Tx) error {
				_, err := e.app.ChangeUserRole(ctx, tx, by, id, to)
				return err
			})
		}
		remove := func(by *user.User, id string) error {
			return e.app.Update(ctx, func(tx store.Tx) error {
				_, err := e.app.RemoveUser(ctx, tx, by, id)
				return err
			})
		}
		wantCode(t, "finance changes a role", role(finance, admin.ID, user.Support), kassa.EForbidden)
		wantCode(t, "admin makes an owner", role(admin, finance.ID, user.Owner), kassa.EForbidden)
		wantCode(t, "admin demotes an owner", role(admin, owner.ID, user.Admin), kassa.EForbidden)
		wantCode(t, "admin removes an owner", remove(admin, owner.ID), kassa.EForbidden)
		wantCode(t, "an unknown role", role(owner, finance.ID, user.Role("root")), kassa.EInvalid)
		wantCode(t, "the last owner demoted", role(owner, owner.ID, user.Admin), kassa.EConflict)
		wantCode(t, "removing oneself", remove(admin, admin.ID), kassa.EConflict)
		wantCode(t, "another merchant's user's role", role(owner, foreign.ID, user.Admin), kassa.ENotFound)
		wantCode(t, "another merchant's user removed", remove(owner, foreign.ID), kassa.ENotFound)
		if err := role(admin, finance.ID, user.Support); err != nil {
			t.Errorf("admin makes finance support: %v", err)
		}
		if err := role(owner, admin.ID, user.Owner); err != nil {
			t.Fatalf("owner makes an owner: %v", err)
		}
		// Two owners now: one may go, but then the other is the last.
		admin.Role = user.Owner
		if err := role(admin, owner.ID, user.Admin); err != nil {
			t.Errorf("the new owner demotes the first: %v", err)
		}
		owner.Role = user.Admin
		wantCode(t, "an admin removes the last owner", remove(owner, admin.ID), kassa.EForbidden)
		wantCode(t, "the last owner demotes themself", role(admin, admin.ID, user.Finance), kassa.EConflict)
		in, err := e.app.SignIn(ctx, "finance@example.com", goodPassword, home)
		if err != nil {
			t.Fatal(err)
		}
		if err := remove(owner, finance.ID); err != nil {
			t.Fatalf("an admin removes a support user: %v", err)
		}
		if _, _, err := e.app.UserSession(ctx, in.Secret); kassa.ErrorCode(err) != kassa.EUnauthorized {
			t.Errorf("the removed user's session: %v", err)
		}
		if _, err := e.app.SignIn(ctx, "finance@example.com", goodPassword, home); kassa.ErrorCode(err) != kassa.EUnauthorized {
			t.Errorf("the removed user signs in: %v", err)
		}
		us, err := provider.View(ctx, e.app, func(tx store.ReadTx) ([]user.User, error) { return tx.Users(ctx, e.merchant) })
		if err != nil || len(us) != 2 || us[0].ID != owner.ID || us[0].Role != user.Admin || us[1].Role != user.Owner {
			t.Errorf("users after the changes: %+v, %v", us, err)
		}
		if es := e.userEvents(provider.ActionUserInvite); len(es) != 0 {
			t.Errorf("changes recorded as invitations: %+v", es)
		}
	})
}
