package dashboard

import (
	"context"
	"crypto/hmac"
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/user"
)

// The cookies' names. Secure ones take the __Host- prefix, which a
// browser accepts only from the host itself over https, with Path=/
// and no Domain: a neighbouring subdomain cannot plant them (a session
// fixation route).
const (
	sessionCookie = "kassa_session"
	csrfCookie    = "kassa_csrf"
)

func (s *Server) cookieName(name string) string {
	if s.secure {
		return "__Host-" + name
	}
	return name
}

// setCookie sets an HttpOnly, SameSite=Lax cookie for the whole site,
// Secure unless the public URL is plain http on loopback; maxAge < 0
// removes it. A session cookie has no Max-Age: the browser forgets it
// when it closes, the server when the session expires.
func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		Secure: s.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(s.cookieName(name))
	if err != nil {
		return ""
	}
	return c.Value
}

// csrfToken is the token a form rendered for r carries: a MAC of the
// browser's CSRF cookie (made now if it has none) and of its session,
// so that a token taken from another browser, or from before signing in
// or out, is refused.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	nonce := s.cookie(r, csrfCookie)
	if nonce == "" {
		nonce = user.NewSecret()
		s.setCookie(w, csrfCookie, nonce, 0)
		r.AddCookie(&http.Cookie{Name: s.cookieName(csrfCookie), Value: nonce}) // for a session set later in this request
	}
	return s.app.MAC("dashboard csrf", nonce, user.Hash(s.cookie(r, sessionCookie)))
}

// form checks a form's CSRF token before h runs: missing, or not this
// browser's and session's, is refused with 403 and runs nothing.
func (s *Server) form(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		nonce, got := s.cookie(r, csrfCookie), r.PostFormValue("csrf")
		want := s.app.MAC("dashboard csrf", nonce, user.Hash(s.cookie(r, sessionCookie)))
		if nonce == "" || got == "" || !hmac.Equal([]byte(got), []byte(want)) {
			s.render(w, r, http.StatusForbidden, "message", page{
				Title: "Please try again", CSRF: s.csrfToken(w, r),
				Error: "This form has expired or did not come from this page. Go back, reload the page and send it again.",
			})
			return
		}
		h(w, r)
	}
}

type userKey struct{}

// current is the signed-in user of a request that signedIn let through.
func current(ctx context.Context) *user.User { return ctx.Value(userKey{}).(*user.User) }

// signedIn runs h for a signed-in user, with the user as the request's
// actor; a visitor is sent to sign in, a session waiting for its TOTP
// code to the code step.
func (s *Server) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ses, u, err := s.app.UserSession(r.Context(), s.cookie(r, sessionCookie))
		switch {
		case kassa.ErrorCode(err) == kassa.EUnauthorized:
			redirect(w, r, "/dashboard/sign-in")
		case err != nil:
			s.fail(w, r, "message", page{Title: "Dashboard"}, err)
		case ses.Pending:
			redirect(w, r, "/dashboard/totp")
		default:
			ctx := context.WithValue(provider.Acting(r.Context(), provider.ActorOfUser(u)), userKey{}, u)
			h(w, r.WithContext(ctx))
		}
	}
}

// startSession gives the browser the session in, ending the one it had:
// the session ID changes at every sign-in, so one an attacker planted
// before never becomes signed in.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, in *provider.SignedIn) {
	if old := s.cookie(r, sessionCookie); old != "" && old != in.Secret {
		if err := s.app.SignOut(r.Context(), old); err != nil {
			s.log.WarnContext(r.Context(), "ending the previous dashboard session failed", "err", err)
		}
	}
	s.setCookie(w, sessionCookie, in.Secret, 0)
	if in.Session.Pending {
		redirect(w, r, "/dashboard/totp")
		return
	}
	redirect(w, r, "/dashboard")
}
