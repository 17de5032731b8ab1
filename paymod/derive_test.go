package paymod_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/store"
	"pgregory.net/rapid"
)

// checkDerived fails t unless a collection as read is what Derive makes
// of its sessions and payments as read: the writes derive the collection
// from the records they hold, not from a read after their changes, and
// this is what such a read would have given.
func checkDerived(t interface{ Fatalf(string, ...any) }, v *paymod.CollectionView) {
	env := payment.Env{Now: time.Now(), IDs: new(kassatest.IDs)}
	next, err := v.Collection.Derive(env, v.Sessions, v.Payments)
	if err != nil {
		t.Fatalf("derive collection %s: %v", v.ID, err)
	}
	if next != v.Collection {
		t.Fatalf("collection %s as saved: %s %d/%d/%d; derived from its records: %s %d/%d/%d (authorized/captured/refunded)",
			v.ID, v.Status, v.AuthorizedAmount, v.CapturedAmount, v.RefundedAmount,
			next.Status, next.AuthorizedAmount, next.CapturedAmount, next.RefundedAmount)
	}
}

// TestCollectionDerivedFromItsRecords runs random sequences of the
// module's writes on a collection, with the system provider and with one
// that does I/O, webhooks included, and checks after each that the
// collection saved is the one derived from its records read afresh, and
// that a write that answers with the collection answers it as saved.
func TestCollectionDerivedFromItsRecords(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		svc, _ := newServiceOn(st)
		ctx := t.Context()
		events := 0
		rapid.Check(t, func(rt *rapid.T) {
			amount := rapid.Int64Range(1, 1000).Draw(rt, "amount")
			c, err := svc.CreateCollection(ctx, mid, "SEK", amount, nil)
			if err != nil {
				rt.Fatalf("CreateCollection: %v", err)
			}
			view := func() *paymod.CollectionView {
				v, err := svc.Collection(ctx, mid, c.ID)
				if err != nil {
					rt.Fatalf("Collection: %v", err)
				}
				checkDerived(rt, v)
				return v
			}
			amountOf := func(label string) int64 { // 0: what is left, or all
				if rapid.Bool().Draw(rt, label+" all") {
					return 0
				}
				return rapid.Int64Range(1, amount+1).Draw(rt, label+" amount")
			}
			for range rapid.IntRange(1, 12).Draw(rt, "steps") {
				v := view()
				ops := []string{"create session", "update collection", "cancel collection"}
				if len(v.Sessions) > 0 {
					ops = append(ops, "authorize", "authorize", "delete session", "webhook")
				}
				if len(v.Payments) > 0 {
					ops = append(ops, "capture", "capture", "refund", "refund", "cancel")
				}
				var (
					op       = rapid.SampledFrom(ops).Draw(rt, "op")
					answered *payment.Collection // the collection the write answered with
					err      error
				)
				pick := func() string { return rapid.SampledFrom(v.Payments).Draw(rt, "payment").ID }
				switch op {
				case "create session":
					provider := rapid.SampledFrom([]string{paymod.SystemProviderID, "pp_fake_default"}).Draw(rt, "provider")
					_, err = svc.CreateSession(ctx, mid, c.ID, payment.SessionParams{ProviderID: provider, Amount: amountOf("session")})
				case "update collection":
					answered, err = svc.UpdateCollection(ctx, mid, c.ID, payment.CollectionUpdate{Amount: new(rapid.Int64Range(1, 2*amount).Draw(rt, "new amount"))})
				case "cancel collection":
					answered, err = svc.CancelCollection(ctx, mid, c.ID)
				case "authorize":
					_, err = svc.AuthorizeSession(ctx, mid, rapid.SampledFrom(v.Sessions).Draw(rt, "session").ID, nil)
				case "delete session":
					err = svc.DeleteSession(ctx, mid, rapid.SampledFrom(v.Sessions).Draw(rt, "session").ID)
				case "webhook": // from the provider that does I/O, about one of its sessions
					ps := rapid.SampledFrom(v.Sessions).Draw(rt, "session")
					if ps.ProviderID != "pp_fake_default" {
						continue
					}
					action := rapid.SampledFrom([]string{paymod.ActionAuthorized, paymod.ActionCaptured, paymod.ActionFailed}).Draw(rt, "action")
					op += " " + action
					events++
					body, _ := json.Marshal(fakeEvent{ID: fmt.Sprintf("evt_%d", events), Action: action, Ref: ps.ProviderRef, Amount: amountOf("event")})
					_, err = svc.HandleProviderEvent(ctx, "pp_fake_default", paymod.Webhook{Header: http.Header{"X-Fake-Signature": {"valid"}}, Body: body})
				case "capture":
					_, err = svc.Capture(ctx, mid, pick(), payment.MovementRequest{Amount: amountOf("capture")})
				case "refund":
					_, err = svc.Refund(ctx, mid, pick(), payment.MovementRequest{Amount: amountOf("refund")})
				case "cancel":
					_, err = svc.Cancel(ctx, mid, pick(), payment.MovementRequest{})
				}
				if kassa.ErrorCode(err) == kassa.EInternal {
					rt.Fatalf("%s: %v", op, err)
				}
				after := view()
				if answered != nil && err == nil {
					if diff := cmp.Diff(after.Collection, answered); diff != "" {
						rt.Fatalf("%s answered a collection other than the one saved (-saved +answered):\n%s", op, diff)
					}
				}
			}
		})
	})
}
