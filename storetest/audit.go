package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/store"
)

// auditEvent is an event of merchantID at f.now whose request ID names it.
func (f *fixture) auditEvent(merchantID, name string) *audit.Event {
	return &audit.Event{
		MerchantID: merchantID, Actor: "cl_1", Action: "POST /v1/orders/{orderId}/capture", Target: "or_1",
		RequestID: name, Source: "192.0.2.7", Status: 200, Outcome: audit.OK, At: f.now,
	}
}

func (f *fixture) appendAudit(es ...*audit.Event) {
	f.t.Helper()
	f.mustUpdate(func(tx store.Tx) error {
		for _, e := range es {
			if err := tx.AppendAuditEvent(f.ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// auditNames lists the request IDs of the merchant's events that flt
// selects, in the store's order.
func (f *fixture) auditNames(merchantID string, flt store.AuditFilter) []string {
	f.t.Helper()
	if flt.Limit == 0 {
		flt.Limit = 100
	}
	es := mustRead(f, func(tx store.ReadTx) ([]audit.Event, error) { return tx.AuditEvents(f.ctx, merchantID, flt) })
	var names []string
	for _, e := range es {
		names = append(names, e.RequestID)
	}
	return names
}

func testAuditEvents(f *fixture) {
	t, ctx := f.t, f.ctx
	const a, b = "ac_a", "ac_b"
	start := f.now
	e1 := f.auditEvent(a, "e1")
	f.appendAudit(e1)
	f.advance(time.Second)
	// Three events at one time: the one appended last is the newest.
	e2, e3, e4 := f.auditEvent(a, "e2"), f.auditEvent(a, "e3"), f.auditEvent(a, "e4")
	e3.Actor, e3.Action, e3.Target = audit.Buyer, "POST /payments/dialog/{sessionId}/confirm", "ps_1"
	e4.Status, e4.Outcome = 409, "conflict"
	f.appendAudit(e2, e3)
	f.appendAudit(e4)
	f.advance(time.Second)
	e5 := f.auditEvent(a, "e5")
	e5.Status, e5.Outcome, e5.Replay = 401, "unauthorized", true
	e6 := &audit.Event{MerchantID: a, Actor: audit.System("auto-capture"), Action: "auto-capture", Target: "or_2", Outcome: audit.OK, At: f.now}
	e6.RequestID = "e6"
	f.appendAudit(e5, e6)
	f.appendAudit(f.auditEvent(b, "b1"), f.auditEvent("", "none"))

	// An event commits with its transaction or not at all.
	err := f.s.Update(ctx, func(tx store.Tx) error {
		if err := tx.AppendAuditEvent(ctx, f.auditEvent(a, "rolled back")); err != nil {
			return err
		}
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("failed Update = %v, want %v", err, errBoom)
	}

	all := []string{"e6", "e5", "e4", "e3", "e2", "e1"}
	if diff := cmp.Diff(all, f.auditNames(a, store.AuditFilter{})); diff != "" {
		t.Errorf("events, newest first (-want +got):\n%s", diff)
	}
	got := mustRead(f, func(tx store.ReadTx) ([]audit.Event, error) {
		return tx.AuditEvents(ctx, a, store.AuditFilter{Limit: 100})
	})
	if diff := cmp.Diff([]audit.Event{*e6, *e5, *e4, *e3, *e2, *e1}, got, cmpopts.IgnoreFields(audit.Event{}, "Seq")); diff != "" {
		t.Errorf("events as stored (-want +got):\n%s", diff)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq >= got[i-1].Seq {
			t.Errorf("sequence numbers %d then %d: want them to fall with the append order", got[i-1].Seq, got[i].Seq)
		}
	}
	if diff := cmp.Diff([]string{"b1"}, f.auditNames(b, store.AuditFilter{})); diff != "" {
		t.Errorf("another merchant's events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"none"}, f.auditNames("", store.AuditFilter{})); diff != "" {
		t.Errorf("events of no merchant (-want +got):\n%s", diff)
	}

	// Pages of every size, each continuing after the last event of the
	// one before, cover every event once, in order.
	for size := 1; size <= len(all)+1; size++ {
		var (
			pages []string
			after *store.AuditPosition
		)
		for range len(all) + 1 {
			es := mustRead(f, func(tx store.ReadTx) ([]audit.Event, error) {
				return tx.AuditEvents(ctx, a, store.AuditFilter{Limit: size, After: after})
			})
			for _, e := range es {
				pages = append(pages, e.RequestID)
			}
			if len(es) < size {
				break
			}
			last := es[len(es)-1]
			after = &store.AuditPosition{At: last.At, Seq: last.Seq}
		}
		if diff := cmp.Diff(all, pages); diff != "" {
			t.Errorf("pages of %d (-want +got):\n%s", size, diff)
		}
	}

	tests := []struct {
		name string
		flt  store.AuditFilter
		want []string
	}{
		{"action", store.AuditFilter{Action: "POST /payments/dialog/{sessionId}/confirm"}, []string{"e3"}},
		{"target", store.AuditFilter{Target: "or_2"}, []string{"e6"}},
		{"actor", store.AuditFilter{Actor: "cl_1"}, []string{"e5", "e4", "e2", "e1"}},
		{"outcome ok", store.AuditFilter{Outcome: audit.OK}, []string{"e6", "e3", "e2", "e1"}},
		{"one failure", store.AuditFilter{Outcome: "conflict"}, []string{"e4"}},
		{"every failure", store.AuditFilter{Outcome: audit.Failed}, []string{"e5", "e4"}},
		{"from, inclusive", store.AuditFilter{From: start.Add(time.Second)}, []string{"e6", "e5", "e4", "e3", "e2"}},
		{"to, exclusive", store.AuditFilter{To: start.Add(time.Second)}, []string{"e1"}},
		{"one second", store.AuditFilter{From: start.Add(time.Second), To: start.Add(2 * time.Second)}, []string{"e4", "e3", "e2"}},
		{"nothing", store.AuditFilter{Actor: "cl_2"}, nil},
		{"limit", store.AuditFilter{Actor: "cl_1", Outcome: audit.OK, Limit: 1}, []string{"e2"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, f.auditNames(a, tt.flt)); diff != "" {
			t.Errorf("AuditEvents(%s) (-want +got):\n%s", tt.name, diff)
		}
	}
}

// AuditAppendOnly checks that the database itself refuses to change or
// remove an audit event, whatever reaches it: exec runs SQL on the
// database of s directly, past the store.
func AuditAppendOnly(t *testing.T, s store.Store, exec Exec) {
	ctx := context.Background()
	e := &audit.Event{MerchantID: "ac_1", Actor: "cl_1", Action: "DELETE /v1/orders/{orderId}", Target: "or_1",
		RequestID: "r1", Source: "192.0.2.7", Status: 200, Outcome: audit.OK, At: t0}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.AppendAuditEvent(ctx, e) }); err != nil {
		t.Fatal(err)
	}
	refused(t, exec, "append-only",
		`UPDATE audit_events SET outcome = 'conflict'`,
		`UPDATE audit_events SET merchant_id = 'ac_2' WHERE request_id = 'r1'`,
		`DELETE FROM audit_events WHERE request_id = 'r1'`,
		`DELETE FROM audit_events`)
	var got []audit.Event
	err := s.View(ctx, func(tx store.ReadTx) (err error) {
		got, err = tx.AuditEvents(ctx, "ac_1", store.AuditFilter{Limit: 10})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]audit.Event{*e}, got, cmpopts.IgnoreFields(audit.Event{}, "Seq")); diff != "" {
		t.Errorf("the event after the refused changes (-want +got):\n%s", diff)
	}
	// Appending goes on.
	if err := exec(ctx, fmt.Sprintf(`INSERT INTO audit_events
		(merchant_id, actor, action, target, request_id, source, status, outcome, replay, at)
		VALUES ('ac_1', 'operator', 'merchant create', 'ac_1', '', '', 0, 'ok', 0, %d)`, t0.UnixMicro())); err != nil {
		t.Errorf("appending past the store: %v", err)
	}
}

// refused checks that the database refuses each of changes, run on it
// past the store, with an error that says why.
func refused(t *testing.T, exec Exec, why string, changes ...string) {
	t.Helper()
	for _, change := range changes {
		if err := exec(context.Background(), change); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s = %v, want the database to refuse it (%s)", change, err, why)
		}
	}
}
