package api

import (
	"context"
	"net/http"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/list"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/risk"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// handleCreditPolicyGet answers the merchant's credit policy, the
// defaults if it has set none (docs/credit.md).
func (s *Server) handleCreditPolicyGet(w http.ResponseWriter, r *http.Request) error {
	p, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) (*provider.CreditPolicy, error) {
		return s.app.CreditPolicy(r.Context(), tx, principal(r).MerchantID)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, p)
	return nil
}

// handleCreditPolicyPut replaces the merchant's credit policy. The body
// is decoded strictly: a member the policy does not have is a 400 naming
// it, not a setting silently left out.
func (s *Server) handleCreditPolicyPut(w http.ResponseWriter, r *http.Request) error {
	body, err := wire.ReadBody(r)
	if err != nil {
		return err
	}
	var in provider.CreditPolicy
	if err := wire.DecodeStrict(body, &in); err != nil {
		return err
	}
	return s.mutation(w, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		p, err := s.app.PutCreditPolicy(ctx, tx, principal(r).MerchantID, in)
		return http.StatusOK, p, err
	})
}

// handleCreditDecisions lists the merchant's credit decisions, newest
// first, a page at a time: nextCursor, when there are more, is the
// cursor of the next page.
func (s *Server) handleCreditDecisions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.CreditDecisionFilter{CompanyID: session.NormalizeCompanyID(q.Get("companyId")), Outcome: q.Get("outcome"), Before: q.Get("cursor"), Limit: 50}
	switch f.Outcome {
	case "", risk.Approved, risk.Signatory, risk.Rejected:
	default:
		return kassa.Invalid("outcome", "outcome must be approved, signatory or rejected")
	}
	var err error
	if f.Limit, err = list.Limit(q, f.Limit); err != nil {
		return err
	}
	page := f
	page.Limit++ // one more says whether there is a next page
	ds, err := provider.View(r.Context(), s.app, func(tx store.ReadTx) ([]store.CreditDecision, error) {
		return tx.CreditDecisions(r.Context(), principal(r).MerchantID, page)
	})
	if kassa.ErrorCode(err) == kassa.ENotFound {
		return kassa.Invalid("cursor", "cursor %q is not a credit decision of this merchant's", f.Before)
	}
	if err != nil {
		return err
	}
	v := struct {
		Data       []store.CreditDecision `json:"data"`
		NextCursor string                 `json:"nextCursor,omitempty"`
	}{Data: ds}
	if len(ds) > f.Limit {
		v.Data = ds[:f.Limit]
		v.NextCursor = v.Data[f.Limit-1].ID
	}
	if v.Data == nil {
		v.Data = []store.CreditDecision{}
	}
	wire.WriteJSON(w, http.StatusOK, v)
	return nil
}
