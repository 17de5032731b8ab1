package provider

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/limit"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// The merchant dashboard's use cases (docs/dashboard.md): its users,
// signing in and out, the TOTP step, invitations, password resets and
// sign-in links. Sessions and one-time tokens are random secrets that
// only the browser and the e-mail hold; the store keeps their hashes.

// The audit log's actions of the dashboard's use cases.
const (
	ActionUserCreate   = "user create"
	ActionUserInvite   = "user invite"
	ActionSignIn       = "dashboard sign in"
	ActionSignInTOTP   = "dashboard sign in totp"
	ActionSignInLink   = "dashboard sign in link"
	ActionSignOut      = "dashboard sign out"
	ActionSetPassword  = "dashboard set password"
	ActionResetRequest = "dashboard password reset request"
	ActionTOTPEnrol    = "dashboard totp enrol"
	ActionTOTPConfirm  = "dashboard totp confirm"
	ActionTOTPOff      = "dashboard totp off"
)

// TOTPIssuer names Kassa in authenticator apps.
const TOTPIssuer = "Kassa"

const (
	dashboardPath       = "/dashboard"
	totpSecretContext   = "totp secret "
	errSignInRefused    = "wrong e-mail address or password"
	errLinkNotUsable    = "this link has expired or has been used; ask for a new one"
	errSessionNotUsable = "your session has ended; sign in again"
)

// ActorOfUser is the audit log's actor for a dashboard user.
func ActorOfUser(u *user.User) string { return "user:" + u.ID }

// newSignInGuard is the backoff of failed sign-ins, per e-mail address and
// per source address: the rules of failed token requests
// (limit.ClientBackoff, limit.SourceBackoff), which a person typing a
// password meets as 5 tries, then a minute's wait, doubling.
func newSignInGuard() *limit.Guard {
	return limit.NewGuard(limit.ClientBackoff, limit.SourceBackoff, limit.MaxKeys)
}

// CreateUser adds a user of role with the address email to the
// merchant, without a password: the caller gives them a link to set one
// (UserLink).
func (s *Service) CreateUser(ctx context.Context, tx store.Tx, merchantID, email string, role user.Role) (*user.User, error) {
	email, err := user.NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if _, err := user.ParseRole(string(role)); err != nil {
		return nil, err
	}
	if _, err := tx.Merchant(ctx, merchantID); err != nil {
		return nil, err
	}
	u := &user.User{ID: s.ids.New(user.IDPrefix), MerchantID: merchantID, Email: email, Role: role, CreatedAt: s.clock.Now()}
	if err := tx.CreateUser(ctx, u); err != nil {
		if kassa.ErrorCode(err) == kassa.EConflict {
			return nil, kassa.Invalid("email", "a user with this e-mail address exists already")
		}
		return nil, err
	}
	return u, s.Audit(ctx, tx, audit.Event{MerchantID: merchantID, Action: ActionUserCreate, Target: u.ID})
}

// UserLink makes a one-time token of kind for u and returns the link
// that uses it: a page of the dashboard that asks before it acts, so that
// a mail scanner opening the link uses nothing.
func (s *Service) UserLink(ctx context.Context, tx store.Tx, u *user.User, kind user.TokenKind) (string, error) {
	secret, tok := user.NewToken(kind, u, s.clock.Now())
	if err := tx.CreateOneTimeToken(ctx, &tok); err != nil {
		return "", err
	}
	return s.cfg.PublicURL + dashboardPath + "/" + linkPage(kind) + "?" + url.Values{"token": {secret}}.Encode(), nil
}

// linkPage is the dashboard page a token of kind opens.
func linkPage(kind user.TokenKind) string {
	switch kind {
	case user.SignInLink:
		return "link"
	default:
		return "set-password"
	}
}

// Invite adds a user of role to the inviter's merchant and e-mails them
// the link to set their password. Only a role that may grant role
// invites (user.Role.MayGrant).
func (s *Service) Invite(ctx context.Context, tx store.Tx, by *user.User, email string, role user.Role) (*user.User, error) {
	if !by.Role.MayGrant(role) {
		return nil, kassa.Errorf(kassa.EForbidden, "the %s role may not invite a user as %s", by.Role, role)
	}
	u, err := s.CreateUser(ctx, tx, by.MerchantID, email, role)
	if err != nil {
		return nil, err
	}
	link, err := s.UserLink(ctx, tx, u, user.Invitation)
	if err != nil {
		return nil, err
	}
	m, err := tx.Merchant(ctx, by.MerchantID)
	if err != nil {
		return nil, err
	}
	body := fmt.Sprintf("%s has invited you to %s's dashboard on Kassa, as %s.\n\nSet your password here (the link works once, for %d days):\n%s\n",
		by.Email, m.Name, role, int(user.Invitation.Lifetime().Hours()/24), link)
	if err := s.QueueMessage(ctx, tx, Message{MerchantID: m.ID, To: u.Email, Subject: "Your invitation to " + m.Name + "'s Kassa dashboard", Body: body}); err != nil {
		return nil, err
	}
	return u, s.Audit(ctx, tx, audit.Event{MerchantID: m.ID, Actor: ActorOfUser(by), Action: ActionUserInvite, Target: u.ID})
}

// resetBackoff holds back password-reset e-mails per address: after 3
// in a row, the next waits 5 minutes, doubling to a day; a day without
// one forgets them. So nobody can fill a user's inbox with them.
var resetBackoff = limit.Backoff{After: 3, Base: 5 * time.Minute, Max: 24 * time.Hour, Forget: 24 * time.Hour}

// RequestPasswordReset e-mails the user with the address email a link to
// set a new password. It answers the same whether or not there is such a
// user, so that it does not tell who has an account, and whether or not
// the address's reset e-mails are being held back (resetBackoff), when it
// sends nothing.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	email, err := user.NormalizeEmail(email)
	if err != nil {
		return err
	}
	if wait := s.resets.Begin(email, s.clock.Now()); wait > 0 {
		return nil
	}
	s.resets.End(email, s.clock.Now(), true, false) // each request counts, sent or not
	err = s.Update(ctx, func(tx store.Tx) error {
		u, err := tx.UserByEmail(ctx, email)
		if err != nil {
			return err
		}
		link, err := s.UserLink(ctx, tx, u, user.PasswordReset)
		if err != nil {
			return err
		}
		body := fmt.Sprintf("Someone asked to reset the password of your Kassa dashboard account. If it was you, set a new password here (the link works once, for an hour):\n%s\n\nIf it was not you, ignore this message: your password stays as it is.\n", link)
		if err := s.QueueMessage(ctx, tx, Message{MerchantID: u.MerchantID, To: u.Email, Subject: "Resetting your Kassa dashboard password", Body: body}); err != nil {
			return err
		}
		return s.Audit(ctx, tx, audit.Event{MerchantID: u.MerchantID, Actor: ActorOfUser(u), Action: ActionResetRequest, Target: u.ID})
	})
	if kassa.ErrorCode(err) == kassa.ENotFound {
		return nil
	}
	return err
}

// LinkToken returns the usable one-time token of kind whose secret is
// secret, for a page to show before it is used; ENotFound if there is
// none.
func (s *Service) LinkToken(ctx context.Context, secret string, kinds ...user.TokenKind) (*user.Token, error) {
	tok, err := View(ctx, s, func(tx store.ReadTx) (*user.Token, error) { return tx.OneTimeToken(ctx, user.Hash(secret)) })
	if err != nil || !tok.Usable(s.clock.Now()) || !slices.Contains(kinds, tok.Kind) {
		return nil, kassa.Errorf(kassa.ENotFound, errLinkNotUsable)
	}
	return tok, nil
}

// useToken marks the usable token secret, of one of kinds, used in tx and
// returns it with its user.
func (s *Service) useToken(ctx context.Context, tx store.Tx, secret string, kinds ...user.TokenKind) (*user.Token, *user.User, error) {
	now := s.clock.Now()
	tok, err := tx.OneTimeToken(ctx, user.Hash(secret))
	if err != nil || !tok.Usable(now) || !slices.Contains(kinds, tok.Kind) {
		return nil, nil, kassa.Errorf(kassa.ENotFound, errLinkNotUsable)
	}
	if err := tx.UseOneTimeToken(ctx, tok.Hash, now); err != nil {
		if kassa.ErrorCode(err) == kassa.ENotFound {
			return nil, nil, kassa.Errorf(kassa.ENotFound, errLinkNotUsable)
		}
		return nil, nil, err
	}
	u, err := tx.User(ctx, tok.UserID)
	if err != nil {
		return nil, nil, err
	}
	return tok, u, nil
}

// SetPassword sets the password of the user an invitation or a password
// reset names, using its token, and ends every session they have. The
// password must pass the policy (user.CheckPassword); a refused password
// leaves the token usable, and SetPassword returns the user with the
// refusal.
func (s *Service) SetPassword(ctx context.Context, tokenSecret, password string) (*user.User, error) {
	tok, err := s.LinkToken(ctx, tokenSecret, user.Invitation, user.PasswordReset)
	if err != nil {
		return nil, err
	}
	u, err := View(ctx, s, func(tx store.ReadTx) (*user.User, error) { return tx.User(ctx, tok.UserID) })
	if err != nil {
		return nil, err
	}
	if err := user.CheckPassword(password, u.Email); err != nil {
		return u, err // the user, for the page that asks again
	}
	hash := user.HashPassword(password, user.DefaultArgon2) // outside the transaction: it takes tens of milliseconds
	err = s.Update(ctx, func(tx store.Tx) error {
		_, u, err = s.useToken(ctx, tx, tokenSecret, user.Invitation, user.PasswordReset)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		return s.Audit(ctx, tx, audit.Event{MerchantID: u.MerchantID, Actor: ActorOfUser(u), Action: ActionSetPassword, Target: u.ID})
	})
	return u, err
}

// SignedIn is a session begun: its secret, for the browser's cookie, and
// whether it still waits for a TOTP code.
type SignedIn struct {
	Secret  string
	Session *user.Session
	User    *user.User
}

// SignIn checks a user's e-mail address and password from source and
// begins a session: a pending one (user.Session.Pending) if the user has
// TOTP on, which VerifySignInCode completes. Failures back off per
// address and per source (limit.Guard): once either waits, SignIn answers
// ERateLimited without checking the password, whether or not the
// address has a user. A wrong address and a wrong password are one
// answer, and take as long.
func (s *Service) SignIn(ctx context.Context, email, password string, source netip.Addr) (*SignedIn, error) {
	email, err := user.NormalizeEmail(email)
	if err != nil {
		return nil, kassa.Errorf(kassa.EUnauthorized, errSignInRefused)
	}
	check, err := s.beginSignIn(email, source)
	if err != nil {
		return nil, err
	}
	u, err := View(ctx, s, func(tx store.ReadTx) (*user.User, error) { return tx.UserByEmail(ctx, email) })
	if err != nil && kassa.ErrorCode(err) != kassa.ENotFound {
		check.Abandoned(s.clock.Now())
		return nil, err
	}
	hash := user.DummyHash()
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	if !user.VerifyPassword(password, hash) || u == nil || u.PasswordHash == "" {
		return nil, s.signInFailed(ctx, check, u, ActionSignIn)
	}
	in, err := s.beginSession(ctx, u, u.TOTPEnabled, ActionSignIn)
	if err != nil {
		check.Abandoned(s.clock.Now())
		return nil, err
	}
	check.Succeeded(s.clock.Now())
	return in, nil
}

// beginSignIn starts a checked sign-in of email from source, or refuses
// it while either waits.
func (s *Service) beginSignIn(email string, source netip.Addr) (limit.Check, error) {
	check, wait := s.signIns.Begin(email, source, s.clock.Now())
	if wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		return check, kassa.Errorf(kassa.ERateLimited, "too many failed sign-ins for this e-mail address or from this network; try again in %d seconds", secs)
	}
	return check, nil
}

// signInFailed counts a failed sign-in and records it, and returns the
// answer.
func (s *Service) signInFailed(ctx context.Context, check limit.Check, u *user.User, action string) error {
	check.Failed(s.clock.Now())
	e := audit.Event{Actor: audit.Anonymous, Action: action, Outcome: kassa.EUnauthorized}
	if u != nil {
		e.MerchantID, e.Actor, e.Target = u.MerchantID, ActorOfUser(u), u.ID
	}
	s.AuditAlone(ctx, e)
	if action == ActionSignInTOTP {
		return kassa.Errorf(kassa.EUnauthorized, "that code is not right; try the one your app shows now")
	}
	return kassa.Errorf(kassa.EUnauthorized, errSignInRefused)
}

// beginSession stores a new session of u (pending its TOTP code if
// pending) and records action.
func (s *Service) beginSession(ctx context.Context, u *user.User, pending bool, action string) (*SignedIn, error) {
	now := s.clock.Now()
	secret := user.NewSecret()
	ses := &user.Session{Hash: user.Hash(secret), UserID: u.ID, MerchantID: u.MerchantID, Pending: pending, CreatedAt: now, LastSeenAt: now}
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateDashboardSession(ctx, ses); err != nil {
			return err
		}
		return s.Audit(ctx, tx, audit.Event{MerchantID: u.MerchantID, Actor: ActorOfUser(u), Action: action, Target: u.ID})
	})
	if err != nil {
		return nil, err
	}
	return &SignedIn{Secret: secret, Session: ses, User: u}, nil
}

// VerifySignInCode completes a pending session with the user's TOTP
// code: it ends the pending session and begins a full one with a new
// secret. Wrong codes back off as wrong passwords do.
func (s *Service) VerifySignInCode(ctx context.Context, pendingSecret, code string, source netip.Addr) (*SignedIn, error) {
	ses, u, err := s.UserSession(ctx, pendingSecret)
	if err != nil {
		return nil, err
	}
	if !ses.Pending {
		return nil, kassa.Errorf(kassa.EConflict, "this session is signed in already")
	}
	check, err := s.beginSignIn(u.Email, source)
	if err != nil {
		return nil, err
	}
	secret, err := s.openTOTP(u)
	if err != nil {
		check.Abandoned(s.clock.Now())
		return nil, err
	}
	step, ok := user.VerifyTOTP(secret, code, s.clock.Now(), u.TOTPStep)
	if !ok {
		return nil, s.signInFailed(ctx, check, u, ActionSignInTOTP)
	}
	now := s.clock.Now()
	next := user.NewSecret()
	full := &user.Session{Hash: user.Hash(next), UserID: u.ID, MerchantID: u.MerchantID, CreatedAt: now, LastSeenAt: now}
	err = s.Update(ctx, func(tx store.Tx) error {
		u, err = tx.User(ctx, u.ID) // locked: of two uses of one code, the second sees the step taken
		if err != nil {
			return err
		}
		if step <= u.TOTPStep {
			return kassa.Errorf(kassa.EUnauthorized, "that code has been used; wait for the next one")
		}
		u.TOTPStep = step
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteDashboardSession(ctx, ses.Hash); err != nil {
			return err
		}
		if err := tx.CreateDashboardSession(ctx, full); err != nil {
			return err
		}
		return s.Audit(ctx, tx, audit.Event{MerchantID: u.MerchantID, Actor: ActorOfUser(u), Action: ActionSignInTOTP, Target: u.ID})
	})
	if err != nil {
		check.Abandoned(s.clock.Now())
		return nil, err
	}
	check.Succeeded(s.clock.Now())
	return &SignedIn{Secret: next, Session: full, User: u}, nil
}

// SignInWithLink uses a sign-in link's token and begins a session, pending
// the TOTP code if the user has TOTP on.
func (s *Service) SignInWithLink(ctx context.Context, tokenSecret string) (*SignedIn, error) {
	var u *user.User
	err := s.Update(ctx, func(tx store.Tx) (err error) {
		_, u, err = s.useToken(ctx, tx, tokenSecret, user.SignInLink)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.beginSession(ctx, u, u.TOTPEnabled, ActionSignInLink)
}

// UserSession returns the session whose secret is secret and its user,
// or EUnauthorized if there is none or it has expired (an expired one is
// removed). A session in use has its last use recorded at most every
// user.TouchEvery, so that pages are not all writes.
func (s *Service) UserSession(ctx context.Context, secret string) (*user.Session, *user.User, error) {
	if secret == "" {
		return nil, nil, kassa.Errorf(kassa.EUnauthorized, errSessionNotUsable)
	}
	now := s.clock.Now()
	var (
		ses *user.Session
		u   *user.User
	)
	err := s.View(ctx, func(tx store.ReadTx) (err error) {
		if ses, err = tx.DashboardSession(ctx, user.Hash(secret)); err != nil {
			return err
		}
		u, err = tx.User(ctx, ses.UserID)
		return err
	})
	switch {
	case kassa.ErrorCode(err) == kassa.ENotFound:
		return nil, nil, kassa.Errorf(kassa.EUnauthorized, errSessionNotUsable)
	case err != nil:
		return nil, nil, err
	case ses.Expired(now) || u.MerchantID != ses.MerchantID:
		err := s.Update(ctx, func(tx store.Tx) error { return tx.DeleteDashboardSession(ctx, ses.Hash) })
		return nil, nil, errors.Join(kassa.Errorf(kassa.EUnauthorized, errSessionNotUsable), err)
	case !ses.Pending && now.Sub(ses.LastSeenAt) >= user.TouchEvery:
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.TouchDashboardSession(ctx, ses.Hash, now) }); err != nil {
			return nil, nil, err
		}
		ses.LastSeenAt = now
	}
	return ses, u, nil
}

// SignOut ends the session whose secret is secret, if there is one.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	ses, u, err := s.UserSession(ctx, secret)
	if kassa.ErrorCode(err) == kassa.EUnauthorized {
		return nil // ended already
	}
	if err != nil {
		return err
	}
	return s.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteDashboardSession(ctx, ses.Hash); err != nil {
			return err
		}
		return s.Audit(ctx, tx, audit.Event{MerchantID: u.MerchantID, Actor: ActorOfUser(u), Action: ActionSignOut, Target: u.ID})
	})
}

// BeginTOTP gives the user a new TOTP secret, sealed in the store but not
// yet on, and returns it with the otpauth:// URI an authenticator app
// enrols it from. ConfirmTOTP turns it on.
func (s *Service) BeginTOTP(ctx context.Context, userID string) (secret, uri string, err error) {
	kek, err := s.kek()
	if err != nil {
		return "", "", err
	}
	secret = user.NewTOTPSecret()
	err = s.Update(ctx, func(tx store.Tx) error {
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		if u.TOTPEnabled {
			return kassa.Errorf(kassa.EConflict, "two-step sign-in is on already")
		}
		u.TOTPSecret = kek.Seal([]byte(secret), totpSecretContext+u.ID)
		uri = user.TOTPURI(secret, TOTPIssuer, u.Email)
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return s.Audit(ctx, tx, audit.Event{MerchantID: u.MerchantID, Actor: ActorOfUser(u), Action: ActionTOTPEnrol, Target: u.ID})
	})
	return secret, uri, err
}

// ConfirmTOTP turns on the TOTP secret BeginTOTP gave, once the user's
// app shows a code that matches it.
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string) error {
	return s.Update(ctx, func(tx store.Tx) error {
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		if u.TOTPEnabled || u.TOTPSecret == "" {
			return kassa.Errorf(kassa.EConflict, "there is no two-step sign-in being set up")
		}
		secret, err := s.openTOTP(u)
		if err != nil {
			return err
		}
		step, ok := user.VerifyTOTP(secret, code, s.clock.Now(), u.TOTPStep)
		if !ok {
			return kassa.Invalid("code", "that code does not match; check the app's clock and try the code it shows now")
		}
		u.TOTPEnabled, u.TOTPStep = true, step
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return s.Audit(ctx, tx, audit.Event{MerchantID: u.MerchantID, Actor: ActorOfUser(u), Action: ActionTOTPConfirm, Target: u.ID})
	})
}

// TurnOffTOTP turns off the user's own two-step sign-in, once a code
// their app shows now proves they still hold its key.
func (s *Service) TurnOffTOTP(ctx context.Context, userID, code string) error {
	return s.Update(ctx, func(tx store.Tx) error {
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		if !u.TOTPEnabled {
			return kassa.Errorf(kassa.EConflict, "two-step sign-in is off already")
		}
		secret, err := s.openTOTP(u)
		if err != nil {
			return err
		}
		if _, ok := user.VerifyTOTP(secret, code, s.clock.Now(), u.TOTPStep); !ok {
			return kassa.Invalid("code", "that code does not match; type the code the app shows now")
		}
		turnOffTOTP(u)
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return s.Audit(ctx, tx, audit.Event{MerchantID: u.MerchantID, Actor: ActorOfUser(u), Action: ActionTOTPOff, Target: u.ID})
	})
}

// ResetTOTP turns off two-step sign-in for the user id of by's merchant,
// who has lost the phone with its key: by must manage users, an owner's
// only as an owner, and not be that user (who turns it off with a code,
// TurnOffTOTP). The user then signs in with their password alone until
// they set it up again; their sessions end. The caller records the
// change in the audit log.
func (s *Service) ResetTOTP(ctx context.Context, tx store.Tx, by *user.User, id string) (*user.User, error) {
	if err := by.Role.Permit(user.ManageUsers); err != nil {
		return nil, err
	}
	u, _, err := s.merchantUser(ctx, tx, by.MerchantID, id)
	switch {
	case err != nil:
		return nil, err
	case u.ID == by.ID:
		return nil, kassa.Errorf(kassa.EConflict, "turn your own two-step sign-in off on its page, with a code from your app")
	case !by.Role.MayGrant(u.Role):
		return nil, kassa.Errorf(kassa.EForbidden, "the %s role may not reset an owner's two-step sign-in", by.Role)
	case !u.TOTPEnabled:
		return nil, kassa.Errorf(kassa.EConflict, "%s has no two-step sign-in to reset", u.Email)
	}
	turnOffTOTP(u)
	if err := tx.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	_, err = tx.DeleteUserSessions(ctx, u.ID)
	return u, err
}

// turnOffTOTP forgets u's TOTP key: a new one is set up from the start.
func turnOffTOTP(u *user.User) { u.TOTPEnabled, u.TOTPSecret, u.TOTPStep = false, "", 0 }

// openTOTP opens the user's sealed TOTP secret.
func (s *Service) openTOTP(u *user.User) (string, error) {
	kek, err := s.kek()
	if err != nil {
		return "", err
	}
	b, err := kek.Open(u.TOTPSecret, totpSecretContext+u.ID)
	if err != nil {
		return "", fmt.Errorf("open the TOTP secret of %s: %w", u.ID, err)
	}
	return string(b), nil
}

// SandboxOwnerLink returns a sign-in link for the owner of the merchant,
// making one with the address email if it has none: the sandbox prints it
// at start-up. Of replicas starting together, one makes the owner; the
// others, refused its address, find it on a second try.
func (s *Service) SandboxOwnerLink(ctx context.Context, merchantID, email string) (link string, err error) {
	for range 2 {
		if link, err = s.ownerLink(ctx, merchantID, email); kassa.ErrorCode(err) != kassa.EInvalid {
			break
		}
	}
	return link, err
}

func (s *Service) ownerLink(ctx context.Context, merchantID, email string) (link string, err error) {
	err = s.Update(ctx, func(tx store.Tx) error {
		us, err := tx.Users(ctx, merchantID)
		if err != nil {
			return err
		}
		var owner *user.User
		for i := range us {
			if us[i].Role == user.Owner {
				owner = &us[i]
				break
			}
		}
		if owner == nil {
			if owner, err = s.CreateUser(ctx, tx, merchantID, email, user.Owner); err != nil {
				return err
			}
		}
		link, err = s.UserLink(ctx, tx, owner, user.SignInLink)
		return err
	})
	return link, err
}

// ChangeUserRole gives the user id of by's merchant the role to, as by
// may (user.Role.MayGrant): a user who manages users gives any role but
// owner, and only an owner makes or unmakes owners. The merchant's last
// owner keeps the role. Another merchant's user is ENotFound. by is the
// acting user as the caller read them for this request (the dashboard's
// session), as for Invite. The caller records the change in the audit
// log.
func (s *Service) ChangeUserRole(ctx context.Context, tx store.Tx, by *user.User, id string, to user.Role) (*user.User, error) {
	if err := by.Role.Permit(user.ManageUsers); err != nil {
		return nil, err
	}
	if _, err := user.ParseRole(string(to)); err != nil {
		return nil, err
	}
	u, owners, err := s.merchantUser(ctx, tx, by.MerchantID, id)
	if err != nil {
		return nil, err
	}
	if u.Role == to {
		return u, nil
	}
	if !by.Role.MayGrant(to) || !by.Role.MayGrant(u.Role) {
		return nil, kassa.Errorf(kassa.EForbidden, "the %s role may not change an owner's role or make an owner", by.Role)
	}
	if u.Role == user.Owner && owners == 1 {
		return nil, kassa.Errorf(kassa.EConflict, "%s is the merchant's last owner; make another user an owner first", u.Email)
	}
	u.Role = to
	return u, tx.UpdateUser(ctx, u)
}

// RemoveUser removes the user id of by's merchant, with their sessions
// and links: an owner only by an owner, and never the merchant's last
// owner, nor by themself. Another merchant's user is ENotFound. The
// caller records the change in the audit log.
func (s *Service) RemoveUser(ctx context.Context, tx store.Tx, by *user.User, id string) (*user.User, error) {
	if err := by.Role.Permit(user.ManageUsers); err != nil {
		return nil, err
	}
	u, owners, err := s.merchantUser(ctx, tx, by.MerchantID, id)
	if err != nil {
		return nil, err
	}
	switch {
	case u.ID == by.ID:
		return nil, kassa.Errorf(kassa.EConflict, "you cannot remove yourself; another owner or admin can")
	case !by.Role.MayGrant(u.Role):
		return nil, kassa.Errorf(kassa.EForbidden, "the %s role may not remove an owner", by.Role)
	case u.Role == user.Owner && owners == 1:
		return nil, kassa.Errorf(kassa.EConflict, "%s is the merchant's last owner and cannot be removed", u.Email)
	}
	return u, tx.DeleteUser(ctx, u.MerchantID, u.ID)
}

// merchantUser is the merchant's user id and how many owners the
// merchant has, each owner locked (in the listing's order, then the
// user) so that two changes at once cannot both take away an owner who
// is not the last; a user of another merchant is ENotFound.
func (s *Service) merchantUser(ctx context.Context, tx store.Tx, merchantID, id string) (*user.User, int, error) {
	us, err := tx.Users(ctx, merchantID)
	if err != nil {
		return nil, 0, err
	}
	owners := 0
	for _, u := range us {
		if u.Role != user.Owner {
			continue
		}
		locked, err := tx.User(ctx, u.ID)
		if err != nil && kassa.ErrorCode(err) != kassa.ENotFound {
			return nil, 0, err
		}
		if err == nil && locked.Role == user.Owner {
			owners++
		}
	}
	u, err := tx.User(ctx, id)
	if err == nil && u.MerchantID != merchantID {
		err = kassa.Errorf(kassa.ENotFound, "user %s not found", kassa.Clip(id, 64))
	}
	return u, owners, err
}
