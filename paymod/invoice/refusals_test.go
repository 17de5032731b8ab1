package invoice_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"testing"

	"github.com/kassa-pay/kassa/client"
)

// moduleSessionView is a module session with the fields these tests read.
type moduleSessionView struct {
	Amount int64  `json:"amount"`
	Status string `json:"status"`
	Data   struct {
		LedyerSessionID string `json:"ledyerSessionId"`
		LedyerOrderID   string `json:"ledyerOrderId"`
		Reference       string `json:"reference"`
	} `json:"data"`
	Void *struct {
		Status string `json:"status"`
	} `json:"void"`
}

// authorizeAtLedyer has the buyer authorize the Ledyer session in the
// dialog and returns the token the dialog answers.
func (k *kassaEnv) authorizeAtLedyer(ledyerSessionID string) string {
	k.t.Helper()
	var dialog struct {
		State              string `json:"state"`
		AuthorizationToken string `json:"authorizationToken"`
	}
	k.must("POST", "/v1/sandbox/payment-sessions/"+ledyerSessionID+"/authorize", map[string]any{"customer": buyer("559311-3714")}, &dialog)
	if dialog.State != "authorized" {
		k.t.Fatalf("dialog = %+v", dialog)
	}
	return dialog.AuthorizationToken
}

// status sends a module request and returns the answer's status and
// error code.
func (k *kassaEnv) status(method, path string, body, out any) (int, string) {
	k.t.Helper()
	status, err := k.api.Do(context.Background(), method, path, body, out)
	if e, ok := errors.AsType[*client.Error](err); ok {
		return status, e.Code
	}
	if err != nil {
		k.t.Fatal(err)
	}
	return status, ""
}

// TestRefusedUpdateInvoice: an update the invoice API refuses (an amount
// the session's order lines do not make) changes nothing, so the payment
// is of the amount of the order, and capturing all of it captures the
// whole order.
func TestRefusedUpdateInvoice(t *testing.T) {
	kassaStores(t, func(t *testing.T, k *kassaEnv) {
		_, s := k.start()
		if status, code := k.status("POST", pm+"/sessions/"+s.ID, map[string]any{"amount": 250000}, nil); status != http.StatusBadRequest {
			t.Fatalf("update to an amount the lines do not make = %d %s, want 400", status, code)
		}
		var got moduleSessionView
		k.must("GET", pm+"/sessions/"+s.ID, nil, &got)
		if got.Amount != 500000 || got.Status != "pending" {
			t.Fatalf("session after a refused update = %+v, want it unchanged", got)
		}
		token := k.authorizeAtLedyer(s.Data.LedyerSessionID)
		var a moduleAuthorization
		k.must("POST", pm+"/sessions/"+s.ID+"/authorize", map[string]any{"data": map[string]any{"authorizationToken": token}}, &a)
		var p modulePayment
		k.must("POST", pm+"/payments/"+a.Payment.ID+"/capture", nil, &p)
		var o client.Order
		k.must("GET", "/v1/orders/"+a.Session.Data.LedyerOrderID, nil, &o)
		if p.Status != "captured" || o.CapturedAmount.MinorUnits != 500000 || !slices.Contains(o.Status, "fullyCaptured") {
			t.Fatalf("payment %s, order captured %d %v; want both wholly captured", p.Status, o.CapturedAmount.MinorUnits, o.Status)
		}
	})
}

func TestSessionDataUpdateInvoice(t *testing.T) {
	kassaStores(t, func(t *testing.T, k *kassaEnv) {
		_, s := k.start()
		for _, ref := range []string{"shop-order-2", "shop-order-1", "shop-order-2"} {
			var got moduleSessionView
			k.must("POST", pm+"/sessions/"+s.ID, map[string]any{"data": map[string]any{"reference": ref}}, &got)
			if got.Data.LedyerSessionID != s.Data.LedyerSessionID || got.Data.Reference != ref {
				t.Fatalf("session data after updating the reference to %s = %+v", ref, got.Data)
			}
			var remote struct {
				Order struct {
					Reference string `json:"reference"`
				} `json:"order"`
			}
			k.must("GET", "/v1/payment-sessions/"+s.Data.LedyerSessionID, nil, &remote)
			if remote.Order.Reference != ref {
				t.Fatalf("Ledyer session reference %q, want %q", remote.Order.Reference, ref)
			}
		}
	})
}

func TestAuthorizeRefusalInvoice(t *testing.T) {
	kassaStores(t, func(t *testing.T, k *kassaEnv) {
		_, s := k.start()
		token := k.authorizeAtLedyer(s.Data.LedyerSessionID)
		status, code := k.status("POST", pm+"/sessions/"+s.ID+"/authorize", map[string]any{"data": map[string]any{"authorizationToken": "at_unknown"}}, nil)
		if status != http.StatusPaymentRequired || code != "rejected" {
			t.Fatalf("authorize with an unknown token = %d %s, want 402 rejected", status, code)
		}
		var a moduleAuthorization
		k.must("POST", pm+"/sessions/"+s.ID+"/authorize", map[string]any{"data": map[string]any{"authorizationToken": token}}, &a)
		if a.Status != "authorized" || a.Payment == nil {
			t.Fatalf("authorize with the dialog's token = %+v", a)
		}
	})
}

func TestRefusedAuthorizationInvoice(t *testing.T) {
	kassaStores(t, func(t *testing.T, k *kassaEnv) {
		col, s := k.start()
		var other struct{ ID string }
		k.must("POST", pm+"/collections/"+col+"/sessions", map[string]any{"providerId": "pp_system_default"}, &other)
		token := k.authorizeAtLedyer(s.Data.LedyerSessionID)
		k.flaky.mu.Lock()
		k.flaky.before["/order"] = func() { k.must("POST", pm+"/sessions/"+other.ID+"/authorize", nil, nil) }
		k.flaky.mu.Unlock()
		status, code := k.status("POST", pm+"/sessions/"+s.ID+"/authorize", map[string]any{"data": map[string]any{"authorizationToken": token}}, nil)
		if status != http.StatusConflict {
			t.Fatalf("authorization the collection can no longer take = %d %s, want 409", status, code)
		}
		var got moduleSessionView
		k.must("GET", pm+"/sessions/"+s.ID, nil, &got)
		if got.Status != "canceled" || got.Void == nil || got.Void.Status != "succeeded" || got.Data.LedyerOrderID == "" {
			t.Fatalf("refused session = %+v, want canceled with its order's cancellation succeeded", got)
		}
		var o client.Order
		k.must("GET", "/v1/orders/"+got.Data.LedyerOrderID, nil, &o)
		if !slices.Contains(o.Status, "cancelled") {
			t.Fatalf("order of the refused authorization: status %v, want cancelled", o.Status)
		}
		var c struct {
			AuthorizedAmount int64      `json:"authorizedAmount"`
			Payments         []struct{} `json:"payments"`
		}
		k.must("GET", pm+"/collections/"+col, nil, &c)
		if c.AuthorizedAmount != 500000 || len(c.Payments) != 1 {
			t.Fatalf("collection authorized %d in %d payments, want 500000 in 1", c.AuthorizedAmount, len(c.Payments))
		}
	})
}

// TestUnknownUpdateOutcomeInvoice: an update the API made but whose
// answer never arrived leaves the module session as it was while the
// Ledyer session has the new cart. Authorizing then is refused (402)
// rather than making a payment of another amount than the order's;
// sending the update again completes it, and the payment and order agree.
func TestUnknownUpdateOutcomeInvoice(t *testing.T) {
	kassaStores(t, func(t *testing.T, k *kassaEnv) {
		_, s := k.start()
		one := maps.Clone(chair)
		one["quantity"], one["totalAmount"], one["totalVatAmount"] = 1, 250000, 50000
		update := map[string]any{"amount": 250000, "data": map[string]any{"orderLines": []any{one}}}
		k.flaky.mu.Lock()
		k.flaky.lose["/v1/payment-sessions/"+s.Data.LedyerSessionID] = 3 // every try of the provider's call
		k.flaky.mu.Unlock()
		key := "update-1"
		if status, err := k.api.Do(context.Background(), "POST", pm+"/sessions/"+s.ID, update, nil, client.IdempotencyKey(key)); status != http.StatusInternalServerError {
			t.Fatalf("update whose answer is lost = %d %v, want 500", status, err)
		}
		var got moduleSessionView
		k.must("GET", pm+"/sessions/"+s.ID, nil, &got)
		if got.Amount != 500000 {
			t.Fatalf("session amount %d after an update of unknown outcome, want 500000", got.Amount)
		}
		token := k.authorizeAtLedyer(s.Data.LedyerSessionID)
		authorize := map[string]any{"data": map[string]any{"authorizationToken": token}}
		if status, code := k.status("POST", pm+"/sessions/"+s.ID+"/authorize", authorize, nil); status != http.StatusPaymentRequired {
			t.Fatalf("authorize while the two sessions disagree = %d %s, want 402", status, code)
		}
		if _, err := k.api.Do(context.Background(), "POST", pm+"/sessions/"+s.ID, update, &got, client.IdempotencyKey(key)); err != nil || got.Amount != 250000 {
			t.Fatalf("update sent again = %+v, %v; want amount 250000", got, err)
		}
		var a moduleAuthorization
		k.must("POST", pm+"/sessions/"+s.ID+"/authorize", authorize, &a)
		var p modulePayment
		k.must("POST", pm+"/payments/"+a.Payment.ID+"/capture", nil, &p)
		var o client.Order
		k.must("GET", "/v1/orders/"+a.Session.Data.LedyerOrderID, nil, &o)
		if p.Status != "captured" || o.CapturedAmount.MinorUnits != 250000 || !slices.Contains(o.Status, "fullyCaptured") {
			t.Fatalf("payment %s, order captured %d %v; want both wholly captured at 250000", p.Status, o.CapturedAmount.MinorUnits, o.Status)
		}
	})
}
