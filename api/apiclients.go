package api

// The merchant's API clients (docs/api-keys.md): created, listed, rotated
// and revoked by the merchant's write clients; and the scope rule every
// authenticated request is held to.

import (
	"context"
	"net/http"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// allowed refuses a request that the token's scope does not allow: a read
// client makes GET requests only, on every route alike.
func allowed(w http.ResponseWriter, r *http.Request, p merchant.Principal) error {
	if p.Scope.Allows(r.Method) {
		return nil
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="kassa", error="insufficient_scope", scope="write"`) // RFC 6750, 3.1
	return kassa.Errorf(kassa.EForbidden, "this access token's API client has the %s scope, which allows GET requests only; %s %s needs a write client's token",
		p.Scope, r.Method, r.URL.Path)
}

type apiClientIn struct {
	Name  wire.Str `json:"name"`
	Scope wire.Str `json:"scope"`
}

type rotateIn struct {
	OverlapSeconds wire.Int `json:"overlapSeconds"`
}

// ClientView is an API client as the API (and the command line) shows
// it: never a secret, except the one just made, in the answer that creates
// or rotates it.
type ClientView struct {
	ClientID                string         `json:"clientId"`
	Name                    string         `json:"name"`
	Scope                   merchant.Scope `json:"scope"`
	State                   string         `json:"state"` // active or revoked
	CreatedAt               time.Time      `json:"createdAt"`
	RotatedAt               time.Time      `json:"rotatedAt,omitzero"`
	PreviousSecretExpiresAt time.Time      `json:"previousSecretExpiresAt,omitzero"`
	RevokedAt               time.Time      `json:"revokedAt,omitzero"`
	ClientSecret            string         `json:"clientSecret,omitempty"`
}

// ViewClient is c as the API shows it, with secret, the one just made, if
// any.
func ViewClient(c *merchant.Client, secret string) ClientView {
	state := "active"
	if c.Revoked() {
		state = "revoked"
	}
	return ClientView{
		ClientID: c.ID, Name: c.Name, Scope: c.Scope, State: state, CreatedAt: c.CreatedAt,
		RotatedAt: c.RotatedAt, PreviousSecretExpiresAt: c.PreviousUntil, RevokedAt: c.RevokedAt,
		ClientSecret: secret,
	}
}

// redacted is the view as an Idempotency-Key's record keeps it: without
// the secret, which Kassa keeps nowhere (see mutation).
func (v ClientView) redacted() any {
	v.ClientSecret = ""
	return v
}

func (s *Server) handleClientCreate(w http.ResponseWriter, r *http.Request) error {
	var in apiClientIn
	body, err := wire.ReadJSON(r, &in)
	if err != nil {
		return err
	}
	scope, err := merchant.ParseScope(string(in.Scope))
	if err != nil {
		return err
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		c, secret, err := s.app.CreateClient(ctx, tx, principal(r).MerchantID, string(in.Name), scope)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, ViewClient(c, secret), nil
	})
}

func (s *Server) handleClientList(w http.ResponseWriter, r *http.Request) error {
	cs, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]merchant.Client, error) {
		return s.app.Clients(r.Context(), tx, principal(r).MerchantID)
	})
	if err != nil {
		return err
	}
	vs := make([]ClientView, len(cs))
	for i := range cs {
		vs[i] = ViewClient(&cs[i], "")
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"data": vs})
	return nil
}

func (s *Server) handleClientRotate(w http.ResponseWriter, r *http.Request) error {
	var in rotateIn
	body, err := wire.ReadJSON(r, &in)
	if err != nil {
		return err
	}
	overlap := overlapOf(in.OverlapSeconds, merchant.DefaultOverlap, merchant.MaxOverlap)
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		c, secret, err := s.app.RotateClient(ctx, tx, principal(r).MerchantID, r.PathValue("clientId"), overlap)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, ViewClient(c, secret), nil
	})
}

// overlapOf is a rotation's overlap as a request gives it in seconds, or
// def if it does not. A value outside 0 to most is clamped just outside
// them, for the rotation to refuse, so that the duration cannot overflow.
func overlapOf(seconds wire.Int, def, most time.Duration) time.Duration {
	if !seconds.Set {
		return def
	}
	return time.Duration(max(-1, min(seconds.V, int64(most/time.Second)+1))) * time.Second
}

func (s *Server) handleClientRevoke(w http.ResponseWriter, r *http.Request) error {
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		c, err := s.app.RevokeClient(ctx, tx, principal(r).MerchantID, r.PathValue("clientId"))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, ViewClient(c, ""), nil
	})
}
