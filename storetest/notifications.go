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
	ds := []notify.Delivery{{URL: "https://shop.example/notify"}}
	if endpointID != "" {
		ds = append(ds, notify.Delivery{EndpointID: endpointID, URL: "https://hooks.example/in"})
	}
	return f.storeNotification(merchantID, orderID, ds)
}

// notifyTo stores a notification of merchantID with one delivery to the
// session URL url, due at f.now.
func (f *fixture) notifyTo(merchantID, url string) *notify.Notification {
	f.t.Helper()
	return f.storeNotification(merchantID, "or_1", []notify.Delivery{{URL: url}})
}

// storeNotification stores a notification with deliveries ds, naming them
// and making them due at f.now.
func (f *fixture) storeNotification(merchantID, orderID string, ds []notify.Delivery) *notify.Notification {
	f.t.Helper()
	n := &notify.Notification{
		ID: f.ids.New(kassa.PrefixNotification), MerchantID: merchantID, Type: notify.OrderCreate,
		OrderID: orderID, SessionID: "ps_1", Body: []byte(`{"eventType":"com.ledyer.order.create"}`), CreatedAt: f.now,
	}
	for i := range ds {
		ds[i].ID, ds[i].NextAt = f.ids.New(kassa.PrefixDelivery), f.now
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateNotification(f.ctx, n, ds) })
	return n
}

// claim claims up to limit deliveries with a lease of a minute, with no
// destination's cap in the way.
func (f *fixture) claim(token string, limit int) []notify.Delivery {
	f.t.Helper()
	return f.claimCapped(token, limit, limit)
}

// claimCapped claims with a cap of perDestination.
func (f *fixture) claimCapped(token string, limit, perDestination int) []notify.Delivery {
	f.t.Helper()
	ds, err := f.tryClaim(token, limit, perDestination)
	if err != nil {
		f.t.Fatalf("ClaimDeliveries: %v", err)
	}
	return ds
}

// tryClaim is claimCapped for goroutines other than the test's.
func (f *fixture) tryClaim(token string, limit, perDestination int) ([]notify.Delivery, error) {
	var ds []notify.Delivery
	c := store.DeliveryClaim{Now: f.now, LeaseUntil: f.now.Add(time.Minute), Token: token, Limit: limit, PerDestination: perDestination}
	err := f.s.Update(f.ctx, func(tx store.Tx) error {
		var err error
		ds, err = tx.ClaimDeliveries(f.ctx, c, sessionSecret)
		return err
	})
	return ds, err
}

// record records a's attempt at d and returns whether d's claim held.
func (f *fixture) record(d notify.Delivery, a notify.Attempt) bool {
	f.t.Helper()
	var held bool
	f.mustUpdate(func(tx store.Tx) (err error) {
		held, err = tx.RecordAttempt(f.ctx, &d, a)
		return err
	})
	return held
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
		f.record(d, notify.Attempt{At: f.now, StatusCode: 200})
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
		{"by type", store.NotificationFilter{Type: notify.AuthorizationPending}, []string{n3.ID}},
		{"by type and order", store.NotificationFilter{Type: notify.OrderCreate, OrderID: "or_2"}, []string{n2.ID}},
		{"by another type", store.NotificationFilter{Type: notify.OrderCreate, SessionID: "ps_9"}, nil},
		{"after n3", store.NotificationFilter{Before: &store.NotificationPosition{At: n3.CreatedAt, ID: n3.ID}}, []string{n2.ID, n1.ID}},
		{"delivered after n3", store.NotificationFilter{Status: notify.Delivered, Before: &store.NotificationPosition{At: n3.CreatedAt, ID: n3.ID}}, []string{n1.ID}},
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

// testNotificationsAfter: a merchant's notifications in the order of
// their creation time, then ID, from a position on.
func testNotificationsAfter(f *fixture) {
	t, ctx := f.t, f.ctx
	a, b := f.createMerchant(), f.createMerchant()
	at := func(id string, created time.Time, merchantID string) *notify.Notification {
		n := &notify.Notification{ID: id, MerchantID: merchantID, Type: notify.OrderCreate, OrderID: "or_1", Body: []byte(`{}`), CreatedAt: created}
		ds := []notify.Delivery{{ID: f.ids.New(kassa.PrefixDelivery), URL: "https://shop.example/notify", NextAt: f.now}}
		f.mustUpdate(func(tx store.Tx) error { return tx.CreateNotification(ctx, n, ds) })
		n.Status = notify.Pending
		return n
	}
	t1 := f.now
	// Written out of order: a later ID first, and a notification created
	// before another but stored after it (a transaction that commits late).
	nb := at("nt_b", t1, a)
	nc := at("nt_c", t1.Add(time.Microsecond), a)
	na := at("nt_a", t1, a)
	at("nt_0", t1, b) // another merchant's
	after := func(p store.NotificationPosition, limit int) []*notify.Notification {
		t.Helper()
		ns := mustRead(f, func(tx store.ReadTx) ([]notify.Notification, error) { return tx.NotificationsAfter(ctx, a, p, limit) })
		var out []*notify.Notification
		for i := range ns {
			out = append(out, &ns[i])
		}
		return out
	}
	all := []*notify.Notification{na, nb, nc}
	tests := []struct {
		name  string
		p     store.NotificationPosition
		limit int
		want  []*notify.Notification
	}{
		{"from the start", store.NotificationPosition{}, 10, all},
		{"a page", store.NotificationPosition{}, 2, all[:2]},
		{"after the first", store.NotificationPosition{At: t1, ID: "nt_a"}, 10, all[1:]},
		{"after the second", store.NotificationPosition{At: t1, ID: "nt_b"}, 10, all[2:]},
		{"after the time", store.NotificationPosition{At: t1, ID: "nt_z"}, 10, all[2:]},
		{"after the last", store.NotificationPosition{At: nc.CreatedAt, ID: nc.ID}, 10, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, after(tt.p, tt.limit)); diff != "" {
			t.Errorf("NotificationsAfter(%s) (-want +got):\n%s", tt.name, diff)
		}
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

	// A failed attempt reschedules. Only the claim holder sets the
	// delivery's state; an attempt recorded under a claim that no longer
	// holds is logged all the same, for it was made.
	d := got[0]
	d.Attempts, d.NextAt = 1, f.now.Add(5*time.Second)
	lost := notify.Attempt{At: f.now, StatusCode: 200, Latency: 3 * time.Millisecond, Body: "ok, late"}
	stolen := d
	stolen.Claim, stolen.State = "c9", notify.Delivered
	if f.record(stolen, lost) {
		t.Error("RecordAttempt under another claim held")
	}
	if dl := f.deliveries(a, n.ID)[0]; dl.State != notify.Pending || dl.Attempts != 0 || dl.Claim != "c1" {
		t.Errorf("after a record under another claim: %s, %d attempts, claim %q; want unchanged", dl.State, dl.Attempts, dl.Claim)
	}
	a1 := notify.Attempt{At: f.now, StatusCode: 503, Latency: 1500 * time.Microsecond, Body: "busy", Error: ""}
	if !f.record(d, a1) {
		t.Error("RecordAttempt by the claim holder did not hold")
	}
	if f.record(d, a1) {
		t.Error("RecordAttempt held twice")
	}

	// The lease of the other delivery ends (its claimer stalled): due
	// again, claimed anew. The stalled claimer's attempt is logged when it
	// comes, and leaves the new claim alone.
	f.advance(time.Minute)
	re := f.claim("c3", 10)
	if len(re) != 2 || re[0].ID != d.ID || re[1].ID != got[1].ID {
		t.Fatalf("after the lease: claimed %v, want both (the retry is due too)", re)
	}
	stalled := got[1]
	stalled.Attempts, stalled.State = 1, notify.Delivered
	if f.record(stalled, notify.Attempt{At: f.now, StatusCode: 200, Body: "stalled"}) {
		t.Error("RecordAttempt after the lease was taken over held")
	}
	d2 := re[0]
	d2.Attempts, d2.State = 2, notify.Delivered
	a2 := notify.Attempt{At: f.now, StatusCode: 200, Latency: time.Millisecond, Body: "[]"}
	f.record(d2, a2)

	ds := f.deliveries(a, n.ID)
	var log []notify.Attempt
	for _, dl := range ds {
		switch dl.ID {
		case d.ID:
			log = dl.Log
			if dl.State != notify.Delivered || dl.Attempts != 2 || dl.Claim != "" {
				t.Errorf("delivery after success: %+v", dl)
			}
		case got[1].ID:
			if dl.State != notify.Pending || dl.Claim != "c3" || len(dl.Log) != 1 || dl.Log[0].Body != "stalled" {
				t.Errorf("delivery taken over: %s, claim %q, log %+v; want pending under c3, the stalled attempt logged", dl.State, dl.Claim, dl.Log)
			}
		}
	}
	lost.DeliveryID, a1.DeliveryID, a2.DeliveryID = d.ID, d.ID, d.ID
	if diff := cmp.Diff([]notify.Attempt{lost, a1, a1, a2}, log); diff != "" {
		t.Errorf("delivery log (-want +got):\n%s", diff)
	}

	// Redeliver while an attempt is in flight (c3's lease runs) changes
	// nothing: the receiver would get a second request at once.
	f.advance(time.Second)
	err := f.s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Redeliver(ctx, a, n.ID, f.now)
		return err
	})
	wantCode(t, "Redeliver(in flight)", err, kassa.EConflict)
	if dl := f.deliveries(a, n.ID)[0]; dl.State != notify.Delivered {
		t.Errorf("a refused Redeliver left the delivery %s", dl.State)
	}
	inFlight := re[1]
	inFlight.Attempts, inFlight.State = 1, notify.Delivered
	f.record(inFlight, notify.Attempt{At: f.now, StatusCode: 200})

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

// Claims from many goroutines (standing for processes) never overlap,
// and together never overrun a destination's cap.
func testClaimsExclusive(f *fixture) {
	a := f.createMerchant()
	for i := range 40 {
		f.notifyTo(a, fmt.Sprintf("https://shop%d.example/notify?n=%d", i%4, i))
	}
	var (
		mu      sync.Mutex
		claimed = map[string]string{}
		per     = map[string]int{}
		wg      sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for {
				ds, err := f.tryClaim(fmt.Sprintf("w%d", w), 3, 4)
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
					per[d.URL[:len("https://shopN")]]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	want := map[string]int{"https://shop0": 4, "https://shop1": 4, "https://shop2": 4, "https://shop3": 4}
	if diff := cmp.Diff(want, per); diff != "" {
		f.t.Errorf("claimed per destination, cap 4 (-want +got):\n%s", diff)
	}
}

// A destination (merchant and origin) gets at most its cap of claimed
// deliveries, counting other claimers' running leases, and destinations
// take turns: a backlog at one does not take the claims of the others.
func testClaimsPerDestination(f *fixture) {
	t := f.t
	a, b := f.createMerchant(), f.createMerchant()
	var hung []string
	for i := range 10 {
		hung = append(hung, f.notifyTo(a, fmt.Sprintf("https://hung.example/n?i=%d", i)).ID)
	}
	f.advance(time.Second)
	other := f.notifyTo(a, "https://other.example/n").ID
	sameHost := f.notifyTo(b, "https://hung.example/n").ID // another merchant's
	f.advance(time.Second)
	dest := func(ds []notify.Delivery) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.NotificationID)
		}
		return out
	}

	// Two claims of two: each destination's first due, then the rest of
	// the first destination up to its cap.
	if diff := cmp.Diff([]string{hung[0], other}, dest(f.claimCapped("p1", 2, 3))); diff != "" {
		t.Errorf("first claim (-want +got):\n%s", diff)
	}
	second := f.claimCapped("p2", 10, 3)
	if diff := cmp.Diff([]string{hung[1], sameHost, hung[2]}, dest(second)); diff != "" {
		t.Errorf("second claim, by another claimer (-want +got):\n%s", diff)
	}
	if again := f.claimCapped("p3", 10, 3); len(again) != 0 {
		t.Errorf("claimed %v with every destination at its cap", dest(again))
	}

	// A recorded attempt frees its place; a lease that ran out does too.
	d := second[0]
	d.Attempts, d.State = 1, notify.Delivered
	f.record(d, notify.Attempt{At: f.now, StatusCode: 200})
	if diff := cmp.Diff([]string{hung[3]}, dest(f.claimCapped("p3", 10, 3))); diff != "" {
		t.Errorf("after one attempt recorded (-want +got):\n%s", diff)
	}
	f.advance(time.Minute)
	// Every lease ran out: the deliveries due longest come first, each
	// destination's up to its cap again.
	if diff := cmp.Diff([]string{hung[4], other, sameHost, hung[5], hung[6]}, dest(f.claimCapped("p4", 10, 3))); diff != "" {
		t.Errorf("after the leases ran out (-want +got):\n%s", diff)
	}
}

// A delivery to an endpoint deleted while its attempt is in flight ends
// as the attempt does, with the attempt in its log; one deleted before it
// was claimed, or whose claimer died, fails without being sent; and a
// redelivery leaves deliveries to deleted endpoints alone.
func testDeliveryEndpointDeleted(f *fixture) {
	t, ctx := f.t, f.ctx
	a := f.createMerchant()
	endpoint := func() string {
		e := &notify.Endpoint{ID: f.ids.New(kassa.PrefixEndpoint), MerchantID: a, URL: "https://hooks.example/in", Secret: "whsec_ZW5kcG9pbnQ=", CreatedAt: f.now}
		f.mustUpdate(func(tx store.Tx) error { return tx.CreateNotificationEndpoint(ctx, e) })
		return e.ID
	}
	del := func(id string) {
		f.mustUpdate(func(tx store.Tx) error { return tx.DeleteNotificationEndpoint(ctx, a, id) })
	}
	toEndpoint := func(n *notify.Notification) notify.Delivery {
		for _, d := range f.deliveries(a, n.ID) {
			if d.EndpointID != "" {
				return d
			}
		}
		t.Fatalf("notification %s has no endpoint delivery", n.ID)
		return notify.Delivery{}
	}
	e1, e2, e3 := endpoint(), endpoint(), endpoint()
	ok, failing, abandoned := f.newNotification(a, "or_1", e1), f.newNotification(a, "or_2", e2), f.newNotification(a, "or_3", e3)
	claimed := map[string]notify.Delivery{}
	for _, d := range f.claim("c1", 10) {
		claimed[d.NotificationID+" "+d.EndpointID] = d
	}
	if len(claimed) != 6 {
		t.Fatalf("claimed %d deliveries, want 6", len(claimed))
	}
	del(e1)
	del(e2)
	del(e3)
	unclaimed := f.newNotification(a, "or_4", "")
	f.mustUpdate(func(tx store.Tx) error {
		return tx.AddDeliveries(ctx, unclaimed, []notify.Delivery{{ID: f.ids.New(kassa.PrefixDelivery), EndpointID: e1, URL: "https://hooks.example/in", NextAt: f.now}}, f.now)
	})

	// The attempts in flight come back: one answered 200, one 500.
	d := claimed[ok.ID+" "+e1]
	d.Attempts, d.State = 1, notify.Delivered
	if !f.record(d, notify.Attempt{At: f.now, StatusCode: 200}) {
		t.Error("the attempt to a deleted endpoint did not hold its claim")
	}
	d = claimed[failing.ID+" "+e2]
	d.Attempts, d.NextAt = 1, f.now.Add(5*time.Second)
	f.record(d, notify.Attempt{At: f.now, StatusCode: 500})
	for _, c := range []struct {
		n     *notify.Notification
		state string
		codes []int
	}{
		{ok, notify.Delivered, []int{200}},
		{failing, notify.Failed, []int{500}}, // nowhere to retry
		{abandoned, notify.Pending, nil},     // still claimed
	} {
		got := toEndpoint(c.n)
		var codes []int
		for _, a := range got.Log {
			codes = append(codes, a.StatusCode)
		}
		if got.State != c.state || !cmp.Equal(c.codes, codes) {
			t.Errorf("delivery of %s to its deleted endpoint: %s, logged %v; want %s, %v", c.n.OrderID, got.State, codes, c.state, c.codes)
		}
	}

	// The abandoned claim's lease runs out: its delivery fails, as does
	// the one added for a deleted endpoint; neither is claimed, and the
	// session URL deliveries are.
	f.advance(time.Minute)
	for _, d := range f.claim("c2", 10) {
		if d.EndpointID != "" {
			t.Errorf("claimed a delivery to deleted endpoint %s", d.EndpointID)
		}
	}
	for _, n := range []*notify.Notification{abandoned, unclaimed} {
		if got := toEndpoint(n); got.State != notify.Failed || len(got.Log) != 0 {
			t.Errorf("delivery of %s to a deleted endpoint: %s with %d attempts; want failed, none", n.OrderID, got.State, len(got.Log))
		}
	}

	// Redelivering resets the session URL delivery only: the endpoint's
	// stays delivered, and nothing fails for want of it.
	f.advance(time.Minute) // c2's leases run out
	var count int
	f.mustUpdate(func(tx store.Tx) (err error) {
		count, err = tx.Redeliver(ctx, a, ok.ID, f.now)
		return err
	})
	if count != 1 || toEndpoint(ok).State != notify.Delivered {
		t.Errorf("Redeliver = %d, endpoint delivery %s; want 1, delivered", count, toEndpoint(ok).State)
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
			return tx.AutoCapturesDue(ctx, "", f.now.Add(after), limit)
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
	for merchantID, want := range map[string]int{a: 2, f.createMerchant(): 0} {
		got := mustRead(f, func(tx store.ReadTx) ([]store.OrderKey, error) {
			return tx.AutoCapturesDue(ctx, merchantID, f.now.Add(3*time.Hour), 10)
		})
		if len(got) != want {
			t.Errorf("AutoCapturesDue(merchant %s) = %v, want %d", merchantID, got, want)
		}
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.CancelAutoCapture(ctx, k1) })
	if diff := cmp.Diff([]store.OrderKey{k2}, due(3*time.Hour, 10)); diff != "" {
		t.Errorf("after CancelAutoCapture (-want +got):\n%s", diff)
	}
}

// An endpoint's rotation and health round-trip; its lookup is the
// merchant's. While it is disabled, nothing is claimed for it: its
// pending deliveries fail (those claimed, with their attempts), a new
// delivery can be stored failed, one added pending fails when due, and a
// redelivery leaves them alone until it is enabled again.
func testEndpointHealth(f *fixture) {
	t, ctx := f.t, f.ctx
	a, b := f.createMerchant(), f.createMerchant()
	e := &notify.Endpoint{ID: f.ids.New(kassa.PrefixEndpoint), MerchantID: a, URL: "https://hooks.example/in", Secret: "whsec_bmV3",
		EventTypes: []string{notify.OrderCreate}, CreatedAt: f.now}
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateNotificationEndpoint(ctx, e) })
	endpoint := func() *notify.Endpoint {
		t.Helper()
		var got *notify.Endpoint
		f.mustUpdate(func(tx store.Tx) (err error) { got, err = tx.NotificationEndpoint(ctx, a, e.ID); return err })
		return got
	}
	if diff := cmp.Diff(e, endpoint()); diff != "" {
		t.Errorf("NotificationEndpoint (-want +got):\n%s", diff)
	}
	for _, c := range []struct{ merchant, id string }{{b, e.ID}, {a, "ne_missing"}} {
		_, err := read(f, func(tx store.ReadTx) (*notify.Endpoint, error) { return tx.NotificationEndpoint(ctx, c.merchant, c.id) })
		wantCode(t, "NotificationEndpoint("+c.merchant+", "+c.id+")", err, kassa.ENotFound)
		err = f.s.Update(ctx, func(tx store.Tx) error {
			changed := *e
			changed.MerchantID, changed.ID = c.merchant, c.id
			return tx.UpdateNotificationEndpoint(ctx, &changed)
		})
		wantCode(t, "UpdateNotificationEndpoint("+c.merchant+", "+c.id+")", err, kassa.ENotFound)
	}

	// Rotated: the claim signs with both secrets, and says until when.
	rotated := *e
	rotated.Secret, rotated.PreviousSecret, rotated.RotatedAt, rotated.PreviousUntil = "whsec_bmV3ZXI=", e.Secret, f.now, f.now.Add(24*time.Hour)
	rotated.URL, rotated.EventTypes = "https://elsewhere.example/", nil // not what an update changes
	f.mustUpdate(func(tx store.Tx) error { return tx.UpdateNotificationEndpoint(ctx, &rotated) })
	rotated.URL, rotated.EventTypes = e.URL, e.EventTypes
	if diff := cmp.Diff(&rotated, endpoint()); diff != "" {
		t.Errorf("after a rotation (-want +got):\n%s", diff)
	}
	toEndpointOnly := func(orderID string) *notify.Notification {
		return f.storeNotification(a, orderID, []notify.Delivery{{EndpointID: e.ID, URL: e.URL}})
	}
	inFlight, delivered, queued := toEndpointOnly("or_1"), toEndpointOnly("or_2"), f.newNotification(a, "or_3", e.ID)
	toSession := f.notifyTo(a, "https://shop.example/n")
	var claimed []notify.Delivery // the endpoint's: its cap of 2 leaves queued's unclaimed
	for _, c := range f.claimCapped("c1", 10, 2) {
		if c.EndpointID == e.ID {
			claimed = append(claimed, c)
		}
	}
	if len(claimed) != 2 || claimed[0].NotificationID != inFlight.ID || claimed[1].NotificationID != delivered.ID {
		t.Fatalf("claimed %+v, want the endpoint's first two deliveries", claimed)
	}
	for _, c := range claimed {
		if c.Secret != rotated.Secret || c.PreviousSecret != e.Secret || !c.PreviousUntil.Equal(rotated.PreviousUntil) {
			t.Errorf("claimed %+v, want the endpoint's delivery with both secrets", c)
		}
	}

	// Disabled, after a failure streak: the unclaimed delivery fails; those
	// in flight end as their attempts do, one failed, one delivered.
	disabled := rotated
	disabled.FailingSince, disabled.DisabledAt, disabled.DisabledReason = f.now.Add(-time.Hour), f.now, notify.DisabledFailing
	var failed int
	f.mustUpdate(func(tx store.Tx) (err error) {
		if err := tx.UpdateNotificationEndpoint(ctx, &disabled); err != nil {
			return err
		}
		failed, err = tx.FailEndpointDeliveries(ctx, a, e.ID)
		return err
	})
	if diff := cmp.Diff(&disabled, endpoint()); diff != "" {
		t.Errorf("after disabling (-want +got):\n%s", diff)
	}
	if failed != 1 {
		t.Errorf("FailEndpointDeliveries = %d, want the one not in flight", failed)
	}
	d := claimed[0]
	d.Attempts, d.NextAt = 1, f.now.Add(5*time.Second)
	f.record(d, notify.Attempt{At: f.now, StatusCode: 500})
	d = claimed[1]
	d.Attempts, d.State = 1, notify.Delivered
	f.record(d, notify.Attempt{At: f.now, StatusCode: 200})
	if got := f.deliveries(a, delivered.ID)[0]; got.State != notify.Delivered {
		t.Errorf("a delivery in flight to the endpoint when it was disabled, answered 200: %s, want delivered", got.State)
	}

	// Meanwhile: a notification stored with its delivery failed, as the
	// outbox stores those to a disabled endpoint, and one added pending.
	stored := f.storeNotification(a, "or_3", []notify.Delivery{{EndpointID: e.ID, URL: e.URL, State: notify.Failed}})
	added := f.newNotification(a, "or_4", "")
	f.mustUpdate(func(tx store.Tx) error {
		return tx.AddDeliveries(ctx, added, []notify.Delivery{{ID: f.ids.New(kassa.PrefixDelivery), EndpointID: e.ID, URL: e.URL, NextAt: f.now}}, f.now)
	})
	f.advance(time.Minute)
	for _, c := range f.claim("c2", 10) {
		if c.EndpointID != "" {
			t.Errorf("claimed %s for the disabled endpoint", c.ID)
		}
	}
	toEndpoint := func(n *notify.Notification) notify.Delivery {
		t.Helper()
		for _, dl := range f.deliveries(a, n.ID) {
			if dl.EndpointID == e.ID {
				return dl
			}
		}
		t.Fatalf("notification %s has no delivery to the endpoint", n.OrderID)
		return notify.Delivery{}
	}
	for _, c := range []struct {
		n        *notify.Notification
		attempts int
	}{{inFlight, 1}, {queued, 0}, {stored, 0}, {added, 0}} {
		if got := toEndpoint(c.n); got.State != notify.Failed || len(got.Log) != c.attempts {
			t.Errorf("delivery of %s to the disabled endpoint: %s with %d attempts; want failed with %d", c.n.OrderID, got.State, len(got.Log), c.attempts)
		}
	}

	// A redelivery leaves the disabled endpoint's deliveries as they are,
	// and counts none of them; once enabled, it makes them pending again.
	f.advance(time.Minute) // c2's leases run out
	redeliver := func(n *notify.Notification) int {
		t.Helper()
		var count int
		f.mustUpdate(func(tx store.Tx) (err error) { count, err = tx.Redeliver(ctx, a, n.ID, f.now); return err })
		return count
	}
	if n := redeliver(queued); n != 1 || toEndpoint(queued).State != notify.Failed {
		t.Errorf("Redeliver while disabled = %d, the endpoint's delivery %s; want 1 (the session URL), failed", n, toEndpoint(queued).State)
	}
	if n := redeliver(stored); n != 0 {
		t.Errorf("Redeliver of a notification for the disabled endpoint alone = %d, want 0", n)
	}
	enabled := disabled.Enable()
	f.mustUpdate(func(tx store.Tx) error { return tx.UpdateNotificationEndpoint(ctx, &enabled) })
	if got := endpoint(); got.Disabled() || !got.FailingSince.IsZero() || got.DisabledReason != "" {
		t.Errorf("after enabling: %+v", got)
	}
	if n := redeliver(stored); n != 1 || toEndpoint(stored).State != notify.Pending {
		t.Errorf("Redeliver once enabled = %d, the endpoint's delivery %s; want 1, pending", n, toEndpoint(stored).State)
	}
	if got := f.deliveries(a, toSession.ID); len(got) != 1 || got[0].State != notify.Pending {
		t.Errorf("the session URL's delivery, in no way the endpoint's: %+v", got)
	}
}
