package provider_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// jobEvent is an audit event of a job.
type jobEvent struct {
	Actor, Action, Target string
	At                    time.Time
}

// auditLog is the audit log of merchantID, oldest first, each event
// checked to be a change made outside HTTP.
func (e *env) auditLog(merchantID string) []jobEvent {
	e.t.Helper()
	es, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]audit.Event, error) {
		return tx.AuditEvents(e.t.Context(), merchantID, store.AuditFilter{Limit: 100})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []jobEvent
	for _, ev := range slices.Backward(es) {
		if ev.Outcome != audit.OK || ev.Status != 0 || ev.RequestID != "" || ev.Source != "" {
			e.t.Errorf("job event %+v: want outcome ok and no HTTP status or request", ev)
		}
		out = append(out, jobEvent{ev.Actor, ev.Action, ev.Target, ev.At})
	}
	return out
}

// Each job pass records what it changed in the audit log, by
// system:<job> at the clock's time, and nothing when it changed nothing.
func TestJobsRecordTheirChanges(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{ProcessingDelay: time.Hour})
		o := kassatest.Purchase(t, e.app, e.merchant, &order.AutoCapture{Enabled: true})
		pass := func(name string, run func(context.Context) (int, error), want int) {
			t.Helper()
			if n, err := run(t.Context()); n != want || err != nil {
				t.Fatalf("%s = %d, %v; want %d", name, n, err, want)
			}
		}
		pass("MarkDueOrdersReady", e.app.MarkDueOrdersReady, 0)
		pass("CaptureDueOrders", e.app.CaptureDueOrders, 0)
		pass("NumberDocuments", e.app.NumberDocuments, 0)
		if got := e.auditLog(e.merchant); got != nil {
			t.Fatalf("passes that changed nothing recorded %v", got)
		}
		ready := t0.Add(time.Hour)
		e.clock.Set(ready)
		pass("MarkDueOrdersReady", e.app.MarkDueOrdersReady, 1)
		pass("CaptureDueOrders", e.app.CaptureDueOrders, 1)
		pass("NumberDocuments", e.app.NumberDocuments, 1)
		doc := e.documents(o.ID)[0].ID
		overdue := ready.Add(31 * 24 * time.Hour)
		e.clock.Set(overdue)
		pass("RemindOverdue", e.app.RemindOverdue, 1)
		want := []jobEvent{
			{"system:mark-ready", "mark-ready", o.ID, ready},
			{"system:auto-capture", "auto-capture", o.ID, ready},
			{"system:number-documents", "number-documents", doc, ready},
			{"system:remind-overdue", "remind-overdue", doc, overdue},
		}
		if diff := cmp.Diff(want, e.auditLog(e.merchant)); diff != "" {
			t.Errorf("audit log after the passes (-want +got):\n%s", diff)
		}
		// Purging idempotency records, of every merchant, belongs to none.
		e.update(func(ctx context.Context, tx store.Tx) error {
			return tx.PutIdempotencyRecord(ctx, &store.IdempotencyRecord{MerchantID: e.merchant, Key: "k", Fingerprint: []byte("fp"), Status: 200, CreatedAt: t0})
		})
		pass("PurgeIdempotencyRecords", e.app.PurgeIdempotencyRecords, 1)
		want = []jobEvent{{"system:purge-idempotency-records", "purge-idempotency-records", "", overdue}}
		if diff := cmp.Diff(want, e.auditLog("")); diff != "" {
			t.Errorf("purge's event (-want +got):\n%s", diff)
		}
		// So does purging ended dashboard sessions: one signed in at t0,
		// long ended.
		e.update(func(ctx context.Context, tx store.Tx) error {
			return tx.CreateDashboardSession(ctx, &user.Session{Hash: user.Hash("s"), UserID: "usr_1", MerchantID: e.merchant, CreatedAt: t0, LastSeenAt: t0})
		})
		pass("PurgeDashboardSessions", e.app.PurgeDashboardSessions, 1)
		want = append(want, jobEvent{"system:purge-dashboard-sessions", "purge-dashboard-sessions", "", overdue})
		if diff := cmp.Diff(want, e.auditLog("")); diff != "" {
			t.Errorf("the purges' events (-want +got):\n%s", diff)
		}
	})
}
