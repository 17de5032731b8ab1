package checkout

import (
	"context"
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// The buyer's pages in the audit log (docs/audit.md): each request that
// changes a session is recorded with audit.Buyer as its actor (the demo
// shop's backend with audit.DemoShop) and the session as its target; in
// the transaction of its change when it succeeds, in one of its own when
// it fails or is refused.

// acting is r with actor as its context's actor.
func acting(r *http.Request, actor string) *http.Request {
	return r.WithContext(provider.Acting(r.Context(), actor))
}

// buyer runs h, a buyer's request that changes the session in its path,
// and records its failure; h records its success (changed).
func (s *Server) buyer(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		r = acting(r, audit.Buyer)
		err := h(w, r)
		if err != nil {
			s.refused(r, err)
		}
		return err
	}
}

// changed records in tx the change r made to target, of merchantID,
// answered with status.
func (s *Server) changed(ctx context.Context, tx store.Tx, r *http.Request, merchantID, target string, status int) error {
	return s.app.Audit(ctx, tx, audit.Event{MerchantID: merchantID, Action: r.Pattern, Target: target, Status: status})
}

// refused records a buyer's request that failed or was refused with err,
// against the merchant of the session in its path when there is one.
func (s *Server) refused(r *http.Request, err error) {
	ctx, id := r.Context(), r.PathValue("sessionId")
	m, _ := provider.View(ctx, s.app, func(tx store.ReadTx) (string, error) { return tx.SessionOwner(ctx, id) })
	s.refusedFor(r, m, id, err)
}

// refusedFor records a request that failed or was refused with err, for
// merchantID and about target.
func (s *Server) refusedFor(r *http.Request, merchantID, target string, err error) {
	code := kassa.ErrorCode(err)
	s.app.AuditAlone(r.Context(), audit.Event{MerchantID: merchantID, Action: r.Pattern, Target: target, Status: wire.Status(code), Outcome: code})
}
