package api

import (
	"context"
	"net/http"

	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// The merchant's own account: its name, default store and contact
// address, which Kassa writes to (docs/notifications.md, disabling).

// merchantPatchIn holds what a merchant may change of itself; a member
// left out stays as it is.
type merchantPatchIn struct {
	Email patchStr `json:"email"` // null or "": no address
}

// patchStr is a text member of a PATCH body: Set when it is there, null
// included, which (as in a JSON merge patch) removes the value.
type patchStr struct {
	Set bool
	V   wire.Str
}

func (p *patchStr) UnmarshalJSON(b []byte) error {
	p.Set = true
	return p.V.UnmarshalJSON(b)
}

func (s *Server) handleMerchantGet(w http.ResponseWriter, r *http.Request) error {
	m, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) (*merchant.Merchant, error) {
		return tx.Merchant(r.Context(), principal(r).MerchantID)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) handleMerchantPatch(w http.ResponseWriter, r *http.Request) error {
	id := principal(r).MerchantID
	setTarget(r, id)
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	var in merchantPatchIn
	if err := wire.DecodeStrict(body, &in); err != nil {
		return err
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		var (
			m   *merchant.Merchant
			err error
		)
		if in.Email.Set {
			m, err = s.app.SetMerchantEmail(ctx, tx, id, string(in.Email.V))
		} else {
			m, err = tx.Merchant(ctx, id)
		}
		return http.StatusOK, m, err
	})
}
