package storetest

import (
	"fmt"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

func sessionSecret(merchantID string) string { return "whsec_c2Vzc2lvbg==" + merchantID }

// newNotification stores a notification of merchantID with a delivery to
// the session URL and one to endpointID (if any), both due at f.now.
func (f *fixture) newNotification(merchantID, orderID, endpointID string) *notify.Notification {
	f.t.Helper()
	n := &notify.Notification{
		ID: f.ids.New(kassa.PrefixNotification), MerchantID: merchantID, Type: notify.OrderCreate,
		OrderID: orderID, SessionID: "ps_1", Body: []byte(`{"eventType":"com.ledyer.order.create"}`), CreatedAt: f.now,
	}
	ds := []notify.Delivery{{ID: f.ids.New(kassa.PrefixDelivery), URL: "https://shop.example/notify", NextAt: f.now}}
	if endpointID != "" {
		ds = append(ds, notify.Delivery{ID: f.ids.New(kassa.PrefixDelivery), EndpointID: endpointID, URL: "https://hooks.example/in", NextAt: f.now})
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateNotification(f.ctx, n, ds) })
	return n
}

func (f *fixture) claim(claim string, limit int) []notify.Delivery {
	f.t.Helper()
	var ds []notify.Delivery
	f.mustUpdate(func(tx store.Tx) error {
		var err error
		ds, err = tx.ClaimDeliveries(f.ctx, f.now, f.now.Add(time.Minute), claim, limit, sessionSecret)
		return err
	})
	return ds
}

func (f *fixture) deliveries(merchantID, notificationID string) []notify.Delivery {
	f.t.Helper()
	return mustRead(f, func(tx store.ReadTx) ([]notify.Delivery, error) {
		return tx.Deliveries(f.ctx, merchantID, notificationID)
	})
}

func testNotificationEndpoints(f *fixture) {
	t, ctx := f.t, f.ctx
	a, b := f.createMerchant(), f.createMerchant()
	e1 := &notify.Endpoint{ID: f.ids.New(kassa.PrefixEndpoint), MerchantID: a, URL: "https://hooks.example/1", Secret: "whsec_MTIz", CreatedAt: f.now}
	f.advance(time.Second)
	e2 := &notify.Endpoint{ID: f.ids.New(kassa.PrefixEndpoint), MerchantID: a, URL: "https://hooks.example/2", Secret: "whsec_NDU2",
		EventTypes: []string{notify.OrderCreate, notify.OrderCancel}, CreatedAt: f.now}
	f.mustUpdate(func(tx store.Tx) error {
		if err := tx.CreateNotificationEndpoint(ctx, e1); err != nil {
			return err
		}
		return tx.CreateNotificationEndpoint(ctx, e2)
	})
	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.CreateNotificationEndpoint(ctx, e1) })
	wantCode(t, "CreateNotificationEndpoint(again)", err, kassa.EConflict)

	got := mustRead(f, func(tx store.ReadTx) ([]notify.Endpoint, error) { return tx.NotificationEndpoints(ctx, a) })
	e1.EventTypes = []string{} // stored as "every type"
	if diff := cmp.Diff([]notify.Endpoint{*e1, *e2}, got); diff != "" {
		t.Errorf("NotificationEndpoints (-want +got):\n%s", diff)
	}
	if got := mustRead(f, func(tx store.ReadTx) ([]notify.Endpoint, error) { return tx.NotificationEndpoints(ctx, b) }); len(got) != 0 {
		t.Errorf("another merchant sees %d endpoints", len(got))
	}

	// NotificationTargets: the session, when the merchant has it, and the
	// same endpoints.
	ps := f.newSession(a)
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateSession(ctx, ps) })
	for _, c := range []struct {
		merchant, session string
		found             bool
		endpoints         []notify.Endpoint
	}{
		{a, ps.ID, true, []notify.Endpoint{*e1, *e2}},
		{a, "ps_missing", false, []notify.Endpoint{*e1, *e2}},
		{b, ps.ID, false, nil},
	} {
		var (
			gotSession *session.Session
			gotEnds    []notify.Endpoint
		)
		f.mustUpdate(func(tx store.Tx) (err error) {
			gotSession, gotEnds, err = tx.NotificationTargets(ctx, c.merchant, c.session)
			return err
		})
		if (gotSession != nil) != c.found || gotSession != nil && gotSession.ID != ps.ID || !cmp.Equal(c.endpoints, gotEnds, cmpopts.EquateEmpty()) {
			t.Errorf("NotificationTargets(%s, %s) = %v, %v; want found %v, endpoints %v", c.merchant, c.session, gotSession, gotEnds, c.found, c.endpoints)
		}
	}

	// Deleting: another merchant cannot; the owner can, and the pending
	// deliveries to it fail while those to the session URL stay pending.
	n := f.newNotification(a, "or_1", e1.ID)
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.DeleteNotificationEndpoint(ctx, b, e1.ID) })
	wantCode(t, "DeleteNotificationEndpoint(other merchant)", err, kassa.ENotFound)
	f.mustUpdate(func(tx store.Tx) error { return tx.DeleteNotificationEndpoint(ctx, a, e1.ID) })
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.DeleteNotificationEndpoint(ctx, a, e1.ID) })
	wantCode(t, "DeleteNotificationEndpoint(deleted)", err, kassa.ENotFound)
	var states []string
	for _, d := range f.deliveries(a, n.ID) {
		states = append(states, d.State)
	}
	if diff := cmp.Diff([]string{notify.Pending, notify.Failed}, states); diff != "" {
		t.Errorf("delivery states after deleting the endpoint (-want +got):\n%s", diff)
	}
}

func testNotificationsList(f *fixture) {
	t, ctx := f.t, f.ctx
	a, b := f.createMerchant(), f.createMerchant()
	n1 := f.newNotification(a, "or_1", "")
	f.advance(time.Second)
	n2 := f.newNotification(a, "or_2", "")
	f.advance(time.Second)
	n3 := &notify.Notification{ID: f.ids.New(kassa.PrefixNotification), MerchantID: a, Type: notify.AuthorizationPending,
		SessionID: "ps_9", Body: []byte(`{}`), CreatedAt: f.now}
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateNotification(ctx, n3, nil) }) // no destination
	f.newNotification(b, "or_1", "")

	// n1 delivered, n2 failed, n3 had nothing to deliver.
	for _, d := range f.claim("c1", 10) {
		if d.MerchantID != a {
			continue
		}
		d.Attempts = 1
		d.State = notify.Delivered
		if d.NotificationID == n2.ID {
			d.State = notify.Failed
		}
		f.mustUpdate(func(tx store.Tx) error { return tx.RecordAttempt(ctx, &d, notify.Attempt{At: f.now, StatusCode: 200}) })
	}
	ids := func(flt store.NotificationFilter) []string {
		flt.Limit = max(flt.Limit, 10)
		ns := mustRead(f, func(tx store.ReadTx) ([]notify.Notification, error) { return tx.Notifications(ctx, a, flt) })
		var out []string
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return out
	}
	tests := []struct {
		name string
		flt  store.NotificationFilter
		want []string
	}{
		{"all, newest first", store.NotificationFilter{}, []string{n3.ID, n2.ID, n1.ID}},
		{"by order", store.NotificationFilter{OrderID: "or_1"}, []string{n1.ID}},
		{"by session", store.NotificationFilter{SessionID: "ps_9"}, []string{n3.ID}},
		{"delivered", store.NotificationFilter{Status: notify.Delivered}, []string{n3.ID, n1.ID}},
		{"failed", store.NotificationFilter{Status: notify.Failed}, []string{n2.ID}},
		{"pending", store.NotificationFilter{Status: notify.Pending}, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ids(tt.flt)); diff != "" {
			t.Errorf("Notifications(%s) (-want +got):\n%s", tt.name, diff)
		}
	}
	got, err := read(f, func(tx store.ReadTx) (*notify.Notification, error) { return tx.Notification(ctx, a, n1.ID) })
	if err != nil {
		t.Fatal(err)
	}
	want := *n1
	want.Status = notify.Delivered
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("Notification (-want +got):\n%s", diff)
	}
	_, err = read(f, func(tx store.ReadTx) (*notify.Notification, error) { return tx.Notification(ctx, b, n1.ID) })
	wantCode(t, "Notification(other merchant)", err, kassa.ENotFound)
	if ds := f.deliveries(b, n1.ID); len(ds) != 0 {
		t.Errorf("another merchant sees %d deliveries", len(ds))
	}
}

func testDeliveryLifecycle(f *fixture) {
	t, ctx := f.t, f.ctx
	a := f.createMerchant()
	e := &notify.Endpoint{ID: f.ids.New(kassa.PrefixEndpoint), MerchantID: a, URL: "https://hooks.example/in", Secret: "whsec_ZW5kcG9pbnQ=", CreatedAt: f.now}
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateNotificationEndpoint(ctx, e) })
	n := f.newNotification(a, "or_1", e.ID)

	got := f.claim("c1", 10)
	if len(got) != 2 {
		t.Fatalf("claimed %d deliveries, want 2", len(got))
	}
	secrets := map[string]string{got[0].URL: got[0].Secret, got[1].URL: got[1].Secret}
	if diff := cmp.Diff(map[string]string{"https://shop.example/notify": sessionSecret(a), "https://hooks.example/in": e.Secret}, secrets); diff != "" {
		t.Errorf("claimed secrets (-want +got):\n%s", diff)
	}
	for _, d := range got {
		if string(d.Body) != string(n.Body) || d.Claim != "c1" || d.NotificationID != n.ID || !d.NextAt.Equal(f.now.Add(time.Minute)) {
			t.Errorf("claimed %+v", d)
		}
	}
	if again := f.claim("c2", 10); len(again) != 0 {
		t.Errorf("claimed %d deliveries under a running lease", len(again))
	}

	// A claim given back is due again at once, for anyone; giving back
	// under a claim not held changes nothing.
	f.mustUpdate(func(tx store.Tx) error {
		stale := got[1]
		stale.Claim = "c0"
		if err := tx.ReleaseClaim(ctx, &stale, f.now); err != nil {
			return err
		}
		return tx.ReleaseClaim(ctx, &got[1], f.now)
	})
	if again := f.claim("c2", 10); len(again) != 1 || again[0].ID != got[1].ID {
		t.Fatalf("after ReleaseClaim: claimed %v, want the released delivery", again)
	} else {
		got[1] = again[0]
	}

	// A failed attempt reschedules; only the claim holder may record.
	d := got[0]
	d.Attempts, d.NextAt = 1, f.now.Add(5*time.Second)
	a1 := notify.Attempt{At: f.now, StatusCode: 503, Latency: 1500 * time.Microsecond, Body: "busy", Error: ""}
	stolen := d
	stolen.Claim = "c9"
	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.RecordAttempt(ctx, &stolen, a1) })
	wantCode(t, "RecordAttempt(other claim)", err, kassa.EConflict)
	f.mustUpdate(func(tx store.Tx) error { return tx.RecordAttempt(ctx, &d, a1) })
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.RecordAttempt(ctx, &d, a1) })
	wantCode(t, "RecordAttempt(twice)", err, kassa.EConflict)

	// The lease of the other delivery ends (its claimer died): due again.
	f.advance(time.Minute)
	re := f.claim("c3", 10)
	if len(re) != 2 || re[0].ID != d.ID || re[1].ID != got[1].ID {
		t.Fatalf("after the lease: claimed %v, want both (the retry is due too)", re)
	}
	d2 := re[0]
	d2.Attempts, d2.State = 2, notify.Delivered
	a2 := notify.Attempt{At: f.now, StatusCode: 200, Latency: time.Millisecond, Body: "[]"}
	f.mustUpdate(func(tx store.Tx) error { return tx.RecordAttempt(ctx, &d2, a2) })

	ds := f.deliveries(a, n.ID)
	var log []notify.Attempt
	for _, dl := range ds {
		if dl.ID == d.ID {
			log = dl.Log
			if dl.State != notify.Delivered || dl.Attempts != 2 || dl.Claim != "" {
				t.Errorf("delivery after success: %+v", dl)
			}
		}
	}
	a1.DeliveryID, a2.DeliveryID = d.ID, d.ID
	if diff := cmp.Diff([]notify.Attempt{a1, a2}, log); diff != "" {
		t.Errorf("delivery log (-want +got):\n%s", diff)
	}

	// Redeliver: every delivery pending again with a fresh schedule.
	f.advance(time.Hour)
	var count int
	f.mustUpdate(func(tx store.Tx) error {
		var err error
		count, err = tx.Redeliver(ctx, a, n.ID, f.now)
		return err
	})
	if count != 2 {
		t.Errorf("Redeliver = %d, want 2", count)
	}
	for _, dl := range f.deliveries(a, n.ID) {
		if dl.State != notify.Pending || dl.Attempts != 0 || !dl.NextAt.Equal(f.now) {
			t.Errorf("after Redeliver: %s %s attempts %d next %v", dl.ID, dl.State, dl.Attempts, dl.NextAt)
		}
	}
	f.mustUpdate(func(tx store.Tx) error {
		var err error
		count, err = tx.Redeliver(ctx, "ac_other", n.ID, f.now)
		return err
	})
	if count != 0 {
		t.Errorf("Redeliver by another merchant = %d, want 0", count)
	}
}

// Claims from many goroutines (standing for processes) never overlap.
func testClaimsExclusive(f *fixture) {
	a := f.createMerchant()
	for range 40 {
		f.newNotification(a, "or_1", "")
	}
	var (
		mu      sync.Mutex
		claimed = map[string]string{}
		wg      sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for {
				var ds []notify.Delivery
				err := f.s.Update(f.ctx, func(tx store.Tx) error {
					var err error
					ds, err = tx.ClaimDeliveries(f.ctx, f.now, f.now.Add(time.Minute), fmt.Sprintf("w%d", w), 3, sessionSecret)
					return err
				})
				if err != nil {
					f.t.Error(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ds {
					if prev, dup := claimed[d.ID]; dup {
						f.t.Errorf("delivery %s claimed by %s and %s", d.ID, prev, d.Claim)
					}
					claimed[d.ID] = d.Claim
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != 40 {
		f.t.Errorf("claimed %d deliveries, want 40", len(claimed))
	}
}

func testAutoCaptures(f *fixture) {
	t, ctx := f.t, f.ctx
	a := f.createMerchant()
	o1, o2 := f.newOrder(a, 0), f.newOrder(a, 0)
	f.createOrder(o1)
	f.createOrder(o2)
	k1, k2 := store.OrderKey{MerchantID: a, OrderID: o1.ID}, store.OrderKey{MerchantID: a, OrderID: o2.ID}
	f.mustUpdate(func(tx store.Tx) error {
		if err := tx.ScheduleAutoCapture(ctx, k1, f.now.Add(2*time.Hour)); err != nil {
			return err
		}
		if err := tx.ScheduleAutoCapture(ctx, k2, f.now.Add(3*time.Hour)); err != nil {
			return err
		}
		return tx.ScheduleAutoCapture(ctx, k1, f.now.Add(time.Hour)) // replaces
	})
	due := func(after time.Duration, limit int) []store.OrderKey {
		return mustRead(f, func(tx store.ReadTx) ([]store.OrderKey, error) {
			return tx.AutoCapturesDue(ctx, f.now.Add(after), limit)
		})
	}
	if got := due(59*time.Minute, 10); len(got) != 0 {
		t.Errorf("due before time: %v", got)
	}
	if diff := cmp.Diff([]store.OrderKey{k1, k2}, due(3*time.Hour, 10), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("AutoCapturesDue (-want +got):\n%s", diff)
	}
	if got := due(3*time.Hour, 1); len(got) != 1 || got[0] != k1 {
		t.Errorf("AutoCapturesDue(limit 1) = %v, want the soonest", got)
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.CancelAutoCapture(ctx, k1) })
	if diff := cmp.Diff([]store.OrderKey{k2}, due(3*time.Hour, 10)); diff != "" {
		t.Errorf("after CancelAutoCapture (-want +got):\n%s", diff)
	}
}
