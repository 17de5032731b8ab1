package storetest

import (
	"context"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/store"
)

// testBacklog: what waits is counted per merchant and endpoint, with its
// oldest item; what is done, sent or numbered is not.
func testBacklog(f *fixture) {
	t, ctx := f.t, f.ctx
	backlog := func() store.Backlog {
		t.Helper()
		return mustRead(f, func(tx store.ReadTx) (store.Backlog, error) { return tx.Backlog(ctx) })
	}
	if diff := cmp.Diff(store.Backlog{}, backlog()); diff != "" {
		t.Errorf("an empty store's backlog (-want +got):\n%s", diff)
	}

	a, b := f.createMerchant(), f.createMerchant() // a's ID sorts first
	e := &notify.Endpoint{ID: f.ids.New(kassa.PrefixEndpoint), MerchantID: a, URL: "https://hooks.example/in", Secret: "whsec_ZW5kcG9pbnQ=", CreatedAt: f.now}
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateNotificationEndpoint(ctx, e) })
	first := f.now
	n1 := f.newNotification(a, "or_1", e.ID) // to a's session URL and its endpoint
	f.advance(time.Minute)
	second := f.now
	n2 := f.newNotification(a, "or_2", e.ID)
	f.newNotification(b, "or_3", "")
	// n1's delivery to the endpoint succeeds; its other and b's fail an
	// attempt, due again later; n2's stay claimed, an attempt in flight.
	for _, d := range f.claim("c1", 10) {
		if d.NotificationID == n2.ID {
			continue
		}
		d.Attempts, d.NextAt = 1, f.now.Add(time.Hour)
		status := 503
		if d.NotificationID == n1.ID && d.EndpointID == e.ID {
			d.State, status = notify.Delivered, 200
		}
		f.record(d, notify.Attempt{At: f.now, StatusCode: status})
	}

	mail := func(id string) *store.Mail {
		return &store.Mail{ID: id, MerchantID: a, MessageID: "<" + id + "@kassa>", To: []string{"a@example.com"}, Subject: id, NextAt: f.now, CreatedAt: f.now}
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.EnqueueMails(ctx, mail("ml_1")) })
	f.advance(time.Minute)
	third := f.now
	f.mustUpdate(func(tx store.Tx) error { return tx.EnqueueMails(ctx, mail("ml_2"), mail("ml_3")) })
	f.mustUpdate(func(tx store.Tx) error {
		if err := tx.MailSent(ctx, "ml_1", f.now); err != nil {
			return err
		}
		return tx.MailFailed(ctx, "ml_3", time.Time{}, "550 no such user") // given up
	})

	for i, ref := range []string{"2000", "2001"} {
		o := f.newOrder(a, 0)
		f.createOrder(o)
		ocr, _ := invoice.NewOCR(ref)
		_, _, err := f.issueInvoice(o, ocr)
		f.ok("issueInvoice", err)
		if i == 0 {
			f.advance(time.Minute)
		}
	}
	fourth := f.now
	if got := f.numberDocuments(1); len(got) != 1 {
		t.Fatalf("numbered %d documents, want 1", len(got))
	}

	want := store.Backlog{
		Deliveries: []store.DeliveryQueue{
			{MerchantID: a, EndpointID: "", Queue: store.Queue{Count: 2, Oldest: first}},
			{MerchantID: a, EndpointID: e.ID, Queue: store.Queue{Count: 1, Oldest: second}},
			{MerchantID: b, EndpointID: "", Queue: store.Queue{Count: 1, Oldest: second}},
		},
		Mails:      store.Queue{Count: 1, Oldest: third},
		Unnumbered: store.Queue{Count: 1, Oldest: fourth},
	}
	if diff := cmp.Diff(want, backlog()); diff != "" {
		t.Errorf("Backlog (-want +got):\n%s", diff)
	}
}

// testStats: committed Updates are counted, a concurrent burst of them in
// as many commits as the backend makes of it; the connections add up.
func testStats(f *fixture) {
	t := f.t
	before := f.s.Stats()
	if before.MaxConns < 1 || before.InUseConns+before.IdleConns > before.OpenConns || before.OpenConns > before.MaxConns {
		t.Errorf("Stats at the start = %+v: want at least one connection, in use and idle adding up to at most the open ones, at most the maximum", before)
	}
	for range 3 { // one after the other: a commit each
		f.createMerchant()
	}
	after := f.s.Stats()
	if commits, updates := after.Commits-before.Commits, after.Updates-before.Updates; commits != 3 || updates != 3 {
		t.Errorf("after 3 updates: %d commits answering %d updates, want 3 and 3", commits, updates)
	}
	// Each update sent at least its write, BEGIN and COMMIT; a server
	// takes at least a round trip for each, and one for all of them at
	// the most (SQLite none: it runs in the process).
	if n := after.Statements - before.Statements; n < 3*3 {
		t.Errorf("after 3 updates: %d statements, want at least 9", n)
	}
	if n := after.RoundTrips - before.RoundTrips; n != 0 && (n < 3 || n > after.Statements-before.Statements) {
		t.Errorf("after 3 updates: %d round trips, want none (SQLite) or from 3 to one per statement", n)
	}

	const n = 16
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { f.s.Update(context.WithoutCancel(f.ctx), func(store.Tx) error { return nil }) })
	}
	wg.Wait()
	end := f.s.Stats()
	if commits, updates := end.Commits-after.Commits, end.Updates-after.Updates; commits < 1 || commits > n || updates != n {
		t.Errorf("after %d concurrent updates: %d commits answering %d updates, want 1 to %d commits answering %d", n, commits, updates, n, n)
	}
	if end.Queued != 0 || end.InUseConns != 0 {
		t.Errorf("Stats with nothing running = %+v, want nothing queued or in use", end)
	}
}
