package api

import (
	"context"
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// handleToken is the OAuth 2 client-credentials grant. Clients send
// grant_type in a form body or, with no body at all, in the query string;
// both are accepted. Credentials come as HTTP Basic.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	grant := r.URL.Query().Get("grant_type")
	if err := r.ParseForm(); err == nil && r.PostForm.Get("grant_type") != "" {
		grant = r.PostForm.Get("grant_type")
	}
	if grant != "client_credentials" {
		wire.WriteJSON(w, http.StatusBadRequest, oauthError("unsupported_grant_type", "grant_type must be client_credentials"))
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok && !wire.ValidText(id) {
		wire.WriteJSON(w, http.StatusBadRequest, oauthError("invalid_request", "the client id must be UTF-8 text without NUL characters"))
		return
	}
	var c *merchant.Client
	err := s.store.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		c, err = tx.Client(r.Context(), id)
		return err
	})
	if !ok || (err != nil && kassa.ErrorCode(err) == kassa.ENotFound) || (err == nil && !c.Verify(secret)) {
		w.Header().Set("WWW-Authenticate", `Basic realm="kassa"`)
		wire.WriteJSON(w, http.StatusUnauthorized, oauthError("invalid_client", "the client credentials are not valid"))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": s.signer.Issue(c, s.clock.Now()),
		"expires_in":   int(merchant.TokenLifetime.Seconds()),
		"scope":        "write",
		"token_type":   "Bearer",
	})
}

// oauthError carries RFC 6749's error fields and Kassa's errors list.
func oauthError(code, description string) map[string]any {
	return map[string]any{
		"error":             code,
		"error_description": description,
		"errors":            []wire.ErrorView{{Code: code, Message: description}},
	}
}

// LoadSigner returns the token signer whose key is kept in the database,
// creating the key on first use, so every process sharing the database
// accepts the others' tokens.
func LoadSigner(ctx context.Context, st store.Store) (merchant.Signer, error) {
	const name = "token_signing_key"
	var key []byte
	err := st.Update(ctx, func(tx store.Tx) error {
		var err error
		if key, err = tx.Setting(ctx, name); err != nil || key != nil {
			return err
		}
		key = merchant.NewKey()
		return tx.PutSetting(ctx, name, key)
	})
	return merchant.Signer{Key: key}, err
}
