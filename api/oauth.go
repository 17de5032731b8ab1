package api

import (
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/wire"
)

// handleToken is the OAuth 2 client-credentials grant. Clients send
// grant_type in a form body or, with no body at all, in the query string;
// both are accepted. Credentials come as HTTP Basic.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	grant := r.URL.Query().Get("grant_type")
	if err := r.ParseForm(); err == nil && r.PostForm.Get("grant_type") != "" {
		grant = r.PostForm.Get("grant_type")
	}
	if grant != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return nil
	}
	id, secret, ok := r.BasicAuth()
	if ok && !wire.ValidText(id) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the client id must be UTF-8 text without NUL characters")
		return nil
	}
	done := s.tokenCheck(w, r, id) // failed requests back off (limits.go)
	if done == nil {
		return nil
	}
	var token merchant.AccessToken
	var err error = kassa.Errorf(kassa.EUnauthorized, "no client credentials")
	if ok {
		token, err = s.app.IssueToken(r.Context(), id, secret)
	}
	done(err)
	if kassa.ErrorCode(err) == kassa.EUnauthorized {
		s.metrics.AuthFailed(observe.BadCredentials)
		s.refusedLogin(r, id, "invalid_client")
		w.Header().Set("WWW-Authenticate", `Basic realm="kassa"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "the client credentials are not valid")
		return nil
	}
	if err != nil {
		return err
	}
	s.metrics.TokenIssued()
	wire.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": token.Token,
		"expires_in":   int(token.ExpiresIn.Seconds()),
		"scope":        token.Scope,
		"token_type":   "Bearer",
	})
	return nil
}

// oauthError answers an error with status in RFC 6749's fields and
// Kassa's errors list, with the request's ID.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	wire.WriteJSON(w, status, map[string]any{
		"error":             code,
		"error_description": description,
		"errors":            []wire.ErrorView{{Code: code, Message: description}},
		"requestId":         wire.RequestID(w),
	})
}
