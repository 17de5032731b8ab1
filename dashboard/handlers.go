package dashboard

import (
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// homeOrders is how many orders the home page lists.
const homeOrders = 50

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Orders")
	if err == nil {
		ctx := r.Context()
		err = s.app.View(ctx, func(tx store.ReadTx) error {
			os, err := tx.Orders(ctx, p.User.MerchantID, store.OrderFilter{Limit: homeOrders})
			for _, o := range os {
				p.Orders = append(p.Orders, rowOf(o))
			}
			return err
		})
	}
	if err != nil {
		s.fail(w, r, "home", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", p)
}

// notices are the fixed messages a redirect to the sign-in page may ask
// for: never text from the request itself.
var notices = map[string]string{
	"signed-out":   "You have signed out.",
	"password-set": "Your password is set. Sign in with it.",
}

func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.app.UserSession(r.Context(), s.cookie(r, sessionCookie)); err == nil {
		redirect(w, r, "/dashboard")
		return
	}
	s.render(w, r, http.StatusOK, "sign-in", page{Title: "Sign in", CSRF: s.csrfToken(w, r), Notice: notices[r.URL.Query().Get("notice")]})
}

func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	in, err := s.app.SignIn(r.Context(), email, r.PostFormValue("password"), source(r.Context()))
	if err != nil {
		s.fail(w, r, "sign-in", page{Title: "Sign in", CSRF: s.csrfToken(w, r), Email: email}, err)
		return
	}
	s.startSession(w, r, in)
}

func (s *Server) handleTOTPPage(w http.ResponseWriter, r *http.Request) {
	ses, _, err := s.app.UserSession(r.Context(), s.cookie(r, sessionCookie))
	switch {
	case err != nil:
		redirect(w, r, "/dashboard/sign-in")
	case !ses.Pending:
		redirect(w, r, "/dashboard")
	default:
		s.render(w, r, http.StatusOK, "totp", page{Title: "Two-step sign-in", CSRF: s.csrfToken(w, r)})
	}
}

func (s *Server) handleTOTP(w http.ResponseWriter, r *http.Request) {
	in, err := s.app.VerifySignInCode(r.Context(), s.cookie(r, sessionCookie), r.PostFormValue("code"), source(r.Context()))
	if err != nil {
		s.fail(w, r, "totp", page{Title: "Two-step sign-in", CSRF: s.csrfToken(w, r)}, err)
		return
	}
	s.startSession(w, r, in)
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if err := s.app.SignOut(r.Context(), s.cookie(r, sessionCookie)); err != nil {
		s.fail(w, r, "message", page{Title: "Sign out"}, err)
		return
	}
	s.setCookie(w, sessionCookie, "", -1)
	redirect(w, r, "/dashboard/sign-in?notice=signed-out")
}

// linkPage shows the page of a one-time link of kinds, with the address
// it is for, or says that the link cannot be used.
func (s *Server) linkPage(w http.ResponseWriter, r *http.Request, name, title string, kinds ...user.TokenKind) {
	ctx, secret := r.Context(), r.URL.Query().Get("token")
	p := page{Title: title, CSRF: s.csrfToken(w, r), Token: secret}
	tok, err := s.app.LinkToken(ctx, secret, kinds...)
	if err == nil {
		err = s.app.View(ctx, func(tx store.ReadTx) error {
			u, err := tx.User(ctx, tok.UserID)
			if err == nil {
				p.Email = u.Email
			}
			return err
		})
	}
	if err != nil {
		s.fail(w, r, "message", page{Title: title, CSRF: p.CSRF}, err)
		return
	}
	s.render(w, r, http.StatusOK, name, p)
}

func (s *Server) handleSetPasswordPage(w http.ResponseWriter, r *http.Request) {
	s.linkPage(w, r, "set-password", "Set your password", user.Invitation, user.PasswordReset)
}

func (s *Server) handleSetPassword(w http.ResponseWriter, r *http.Request) {
	secret := r.PostFormValue("token")
	u, err := s.app.SetPassword(r.Context(), secret, r.PostFormValue("password"))
	switch {
	case kassa.ErrorCode(err) == kassa.EInvalid:
		s.fail(w, r, "set-password", page{Title: "Set your password", CSRF: s.csrfToken(w, r), Token: secret, Email: u.Email}, err)
	case err != nil:
		s.fail(w, r, "message", page{Title: "Set your password"}, err)
	default:
		redirect(w, r, "/dashboard/sign-in?notice=password-set")
	}
}

func (s *Server) handleForgotPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot-password", page{Title: "Forgot your password?", CSRF: s.csrfToken(w, r)})
}

func (s *Server) handleForgot(w http.ResponseWriter, r *http.Request) {
	p := page{Title: "Forgot your password?", CSRF: s.csrfToken(w, r)}
	if err := s.app.RequestPasswordReset(r.Context(), r.PostFormValue("email")); err != nil {
		s.fail(w, r, "forgot-password", p, err)
		return
	}
	p.Title, p.Notice = "Check your e-mail", "If a dashboard account has that address, we have e-mailed it a link to set a new password. The link works once, for an hour."
	s.render(w, r, http.StatusOK, "message", p)
}

func (s *Server) handleLinkPage(w http.ResponseWriter, r *http.Request) {
	s.linkPage(w, r, "link", "Sign in", user.SignInLink)
}

func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	in, err := s.app.SignInWithLink(r.Context(), r.PostFormValue("token"))
	if err != nil {
		s.fail(w, r, "message", page{Title: "Sign in", CSRF: s.csrfToken(w, r)}, err)
		return
	}
	s.startSession(w, r, in)
}

// twoStepPage is the two-step sign-in page of the signed-in user.
func (s *Server) twoStepPage(w http.ResponseWriter, r *http.Request) page {
	u := current(r.Context())
	p := page{Title: "Two-step sign-in", User: u, CSRF: s.csrfToken(w, r)}
	ctx := r.Context()
	err := s.app.View(ctx, func(tx store.ReadTx) error {
		m, err := tx.Merchant(ctx, u.MerchantID)
		if err == nil {
			p.Merchant = m.Name
		}
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "reading the merchant's name failed", "err", err)
	}
	return p
}

func (s *Server) handleTwoStep(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "two-step", s.twoStepPage(w, r))
}

func (s *Server) handleTwoStepBegin(w http.ResponseWriter, r *http.Request) {
	p := s.twoStepPage(w, r)
	var err error
	if p.TOTPSecret, p.TOTPURI, err = s.app.BeginTOTP(r.Context(), p.User.ID); err != nil {
		s.fail(w, r, "two-step", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "two-step", p)
}

func (s *Server) handleTwoStepConfirm(w http.ResponseWriter, r *http.Request) {
	p := s.twoStepPage(w, r)
	if err := s.app.ConfirmTOTP(r.Context(), p.User.ID, r.PostFormValue("code")); err != nil {
		// The key again, as the form carried it, to try another code.
		if p.TOTPSecret = r.PostFormValue("secret"); p.TOTPSecret != "" {
			p.TOTPURI = user.TOTPURI(p.TOTPSecret, provider.TOTPIssuer, p.User.Email)
		}
		s.fail(w, r, "two-step", p, err)
		return
	}
	p.User.TOTPEnabled, p.Notice = true, "Two-step sign-in is on."
	s.render(w, r, http.StatusOK, "two-step", p)
}

func (s *Server) handleTwoStepOff(w http.ResponseWriter, r *http.Request) {
	p := s.twoStepPage(w, r)
	if err := s.app.TurnOffTOTP(r.Context(), p.User.ID, r.PostFormValue("code")); err != nil {
		s.fail(w, r, "two-step", p, err)
		return
	}
	p.User.TOTPEnabled, p.Notice = false, "Two-step sign-in is off."
	s.render(w, r, http.StatusOK, "two-step", p)
}
