package storetest

import (
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/payment"
	"github.com/kassa-pay/kassa/store"
)

// paymentRecords stores a collection with one authorized session and its
// payment (partly captured), plus a second, pending session.
func (f *fixture) paymentRecords(merchantID string) (*payment.Collection, []*payment.Session, *payment.Payment) {
	f.t.Helper()
	env := payment.Env{Now: f.now, IDs: f.ids}
	c, err := payment.NewCollection(env, merchantID, "SEK", 50000, json.RawMessage(`{"cart":"c-1"}`))
	f.ok("NewCollection", err)
	s1, err := payment.NewSession(env, c, payment.SessionParams{ProviderID: "pp_system_default", Amount: 30000, Data: json.RawMessage(`{"k":"v"}`)})
	f.ok("NewSession", err)
	s2, err := payment.NewSession(env, c, payment.SessionParams{ProviderID: "pp_invoice_default", Amount: 20000})
	f.ok("NewSession", err)
	s2, err = s2.Initiated(env, payment.ProviderResult{Ref: "ps_ref_2"}, nil)
	f.ok("Initiated", err)
	s1, p, err := s1.Authorized(env, payment.ProviderResult{Status: payment.SessionAuthorized})
	f.ok("Authorized", err)
	p, m, err := p.Begin(env, payment.KindCapture, payment.MovementRequest{Key: "k1", Amount: 10000})
	f.ok("Begin", err)
	p, err = p.Settle(env, m.ID, payment.Outcome{Ref: "in_1"})
	f.ok("Settle", err)
	f.mustUpdate(func(tx store.Tx) error {
		return errors.Join(tx.CreatePaymentCollection(f.ctx, c), tx.CreatePaymentSession(f.ctx, s1),
			tx.CreatePaymentSession(f.ctx, s2), tx.CreatePayment(f.ctx, p))
	})
	return c, []*payment.Session{s1, s2}, p
}

// sessionsAsRead is what a store gives back of the sessions it stored:
// each read at its version (Stored).
func sessionsAsRead(ss []*payment.Session) []*payment.Session {
	out := make([]*payment.Session, len(ss))
	for i, s := range ss {
		c := *s
		c.Stored = c.Version
		out[i] = &c
	}
	return out
}

// paymentsAsRead is sessionsAsRead for payments.
func paymentsAsRead(ps ...*payment.Payment) []*payment.Payment {
	out := make([]*payment.Payment, len(ps))
	for i, p := range ps {
		c := *p
		c.Stored = c.Version
		out[i] = &c
	}
	return out
}

func testPaymentRoundTrip(f *fixture) {
	t, ctx := f.t, f.ctx
	mid := f.createMerchant()
	c, ss, p := f.paymentRecords(mid)

	gotC := mustRead(f, func(tx store.ReadTx) (*payment.Collection, error) { return tx.PaymentCollection(ctx, mid, c.ID) })
	if diff := cmp.Diff(c, gotC); diff != "" {
		t.Errorf("PaymentCollection (-want +got):\n%s", diff)
	}
	gotS := mustRead(f, func(tx store.ReadTx) ([]*payment.Session, error) { return tx.PaymentSessionsOf(ctx, mid, c.ID) })
	if diff := cmp.Diff(sessionsAsRead(ss), gotS); diff != "" {
		t.Errorf("PaymentSessionsOf (-want +got):\n%s", diff)
	}
	byRef := mustRead(f, func(tx store.ReadTx) (*payment.Session, error) {
		return tx.PaymentSessionByRef(ctx, "pp_invoice_default", "ps_ref_2")
	})
	if byRef.ID != ss[1].ID || byRef.Stored != ss[1].Version {
		t.Errorf("PaymentSessionByRef = %s read at version %d, want %s at %d", byRef.ID, byRef.Stored, ss[1].ID, ss[1].Version)
	}
	_, err := read(f, func(tx store.ReadTx) (*payment.Session, error) {
		return tx.PaymentSessionByRef(ctx, "pp_system_default", "ps_ref_2")
	})
	wantCode(t, "PaymentSessionByRef of another provider", err, kassa.ENotFound)
	gotP := mustRead(f, func(tx store.ReadTx) (*payment.Payment, error) { return tx.Payment(ctx, mid, p.ID) })
	if diff := cmp.Diff(paymentsAsRead(p)[0], gotP); diff != "" {
		t.Errorf("Payment (-want +got):\n%s", diff)
	}
	ps := mustRead(f, func(tx store.ReadTx) ([]*payment.Payment, error) { return tx.PaymentsOf(ctx, mid, c.ID) })
	if len(ps) != 1 || ps[0].ID != p.ID || ps[0].Stored != p.Version {
		t.Errorf("PaymentsOf = %v", ps)
	}
	for name, run := range map[string]func(func(store.ReadTx) error){
		"read-only": func(fn func(store.ReadTx) error) { f.ok("View", f.s.View(ctx, fn)) },
		"read-write": func(fn func(store.ReadTx) error) {
			f.mustUpdate(func(tx store.Tx) error { return fn(tx) })
		},
	} {
		run(func(tx store.ReadTx) error {
			want := &store.CollectionRecords{Collection: c, Sessions: sessionsAsRead(ss), Payments: paymentsAsRead(p)}
			recs, err := tx.PaymentCollectionRecords(ctx, mid, c.ID)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(want, recs); diff != "" {
				t.Errorf("PaymentCollectionRecords, %s (-want +got):\n%s", name, diff)
			}
			gotS, recs, err := tx.PaymentSessionRecords(ctx, mid, ss[1].ID)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(sessionsAsRead(ss)[1], gotS); diff != "" {
				t.Errorf("PaymentSessionRecords, %s: session (-want +got):\n%s", name, diff)
			}
			if diff := cmp.Diff(want, recs); diff != "" {
				t.Errorf("PaymentSessionRecords, %s: records (-want +got):\n%s", name, diff)
			}
			gotP, recs, err := tx.PaymentRecords(ctx, mid, p.ID)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(paymentsAsRead(p)[0], gotP); diff != "" {
				t.Errorf("PaymentRecords, %s: payment (-want +got):\n%s", name, diff)
			}
			if diff := cmp.Diff(want, recs); diff != "" {
				t.Errorf("PaymentRecords, %s: records (-want +got):\n%s", name, diff)
			}
			_, _, err = tx.PaymentSessionRecords(ctx, mid, "ps_missing")
			wantCode(t, "PaymentSessionRecords of a missing session", err, kassa.ENotFound)
			_, _, err = tx.PaymentRecords(ctx, mid, "pay_missing")
			wantCode(t, "PaymentRecords of a missing payment", err, kassa.ENotFound)
			return nil
		})
	}
	list := mustRead(f, func(tx store.ReadTx) ([]*payment.Collection, error) {
		return tx.PaymentCollections(ctx, mid, store.CollectionFilter{Limit: 10})
	})
	if len(list) != 1 || list[0].ID != c.ID {
		t.Errorf("PaymentCollections = %v", list)
	}

	// Another merchant sees none of it.
	other := f.createMerchant()
	for what, err := range map[string]error{
		"PaymentCollection": errOf(read(f, func(tx store.ReadTx) (*payment.Collection, error) { return tx.PaymentCollection(ctx, other, c.ID) })),
		"PaymentSession":    errOf(read(f, func(tx store.ReadTx) (*payment.Session, error) { return tx.PaymentSession(ctx, other, ss[0].ID) })),
		"PaymentSessionRecords": errOf(read(f, func(tx store.ReadTx) (*payment.Session, error) {
			s, _, err := tx.PaymentSessionRecords(ctx, other, ss[0].ID)
			return s, err
		})),
		"PaymentRecords": errOf(read(f, func(tx store.ReadTx) (*payment.Payment, error) {
			p, _, err := tx.PaymentRecords(ctx, other, p.ID)
			return p, err
		})),
		"Payment": errOf(read(f, func(tx store.ReadTx) (*payment.Payment, error) { return tx.Payment(ctx, other, p.ID) })),
		"PaymentCollectionRecords": errOf(read(f, func(tx store.ReadTx) (*payment.Collection, error) {
			r, err := tx.PaymentCollectionRecords(ctx, other, c.ID)
			if err != nil {
				return nil, err
			}
			return r.Collection, nil
		})),
	} {
		wantCode(t, what+" of another merchant", err, kassa.ENotFound)
	}
	if got := mustRead(f, func(tx store.ReadTx) ([]*payment.Payment, error) { return tx.PaymentsOf(ctx, other, c.ID) }); len(got) != 0 {
		t.Errorf("PaymentsOf another merchant's collection = %v", got)
	}
}

// PaymentCollections lists a merchant's collections newest first, ties
// by ID, by status (as the latest save left it) and currency.
func testCollectionList(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	start := f.now
	var cs []*payment.Collection // oldest first; the last two tie on time
	for i, at := range []time.Duration{0, time.Second, 2 * time.Second, 2 * time.Second} {
		env := payment.Env{Now: start.Add(at), IDs: f.ids}
		cur := "SEK"
		if i == 2 {
			cur = "EUR"
		}
		c, err := payment.NewCollection(env, m, cur, 1000, nil)
		f.ok("NewCollection", err)
		cs = append(cs, c)
	}
	oc, err := payment.NewCollection(payment.Env{Now: start, IDs: f.ids}, other, "SEK", 1000, nil)
	f.ok("NewCollection", err)
	f.mustUpdate(func(tx store.Tx) error {
		for _, c := range append(cs[:4:4], oc) {
			if err := tx.CreatePaymentCollection(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	// Canceled after it was saved: UpdatePaymentCollection writes the
	// status too.
	canceled, err := cs[1].Cancel(payment.Env{Now: start.Add(3 * time.Second), IDs: f.ids}, nil)
	f.ok("Cancel", err)
	f.mustUpdate(func(tx store.Tx) error { return tx.UpdatePaymentCollection(ctx, canceled) })

	newest := []string{cs[3].ID, cs[2].ID}
	if cs[2].ID > cs[3].ID {
		newest = []string{cs[2].ID, cs[3].ID}
	}
	all := append(newest, cs[1].ID, cs[0].ID)
	list := func(flt store.CollectionFilter) (ids []string) {
		if flt.Limit == 0 {
			flt.Limit = 10
		}
		for _, c := range mustRead(f, func(tx store.ReadTx) ([]*payment.Collection, error) { return tx.PaymentCollections(ctx, m, flt) }) {
			ids = append(ids, c.ID)
		}
		return ids
	}
	tied := start.Add(2 * time.Second)
	tests := []struct {
		name string
		flt  store.CollectionFilter
		want []string
	}{
		{"all", store.CollectionFilter{}, all},
		{"limit", store.CollectionFilter{Limit: 1}, all[:1]},
		{"after the first", store.CollectionFilter{After: &store.ListPosition{CreatedAt: tied, ID: all[0]}}, all[1:]},
		{"after the second", store.CollectionFilter{After: &store.ListPosition{CreatedAt: tied, ID: all[1]}}, all[2:]},
		{"after the last", store.CollectionFilter{After: &store.ListPosition{CreatedAt: start, ID: all[3]}}, nil},
		{"canceled", store.CollectionFilter{Statuses: []string{payment.Canceled}}, []string{cs[1].ID}},
		{"not paid", store.CollectionFilter{Statuses: []string{payment.NotPaid}}, []string{newest[0], newest[1], cs[0].ID}},
		{"canceled or not paid", store.CollectionFilter{Statuses: []string{payment.Canceled, payment.NotPaid}}, all},
		{"completed", store.CollectionFilter{Statuses: []string{payment.Completed}}, nil},
		{"EUR", store.CollectionFilter{Currency: "EUR"}, []string{cs[2].ID}},
		{"SEK, not paid", store.CollectionFilter{Currency: "SEK", Statuses: []string{payment.NotPaid}}, []string{cs[3].ID, cs[0].ID}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, list(tt.flt)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	got := mustRead(f, func(tx store.ReadTx) ([]*payment.Collection, error) {
		return tx.PaymentCollections(ctx, m, store.CollectionFilter{Statuses: []string{payment.Canceled}, Limit: 10})
	})
	if len(got) != 1 || !cmp.Equal(got[0], canceled) {
		t.Errorf("the canceled collection as listed = %+v, want %+v", got, canceled)
	}
	if got := mustRead(f, func(tx store.ReadTx) ([]*payment.Collection, error) {
		return tx.PaymentCollections(ctx, f.createMerchant(), store.CollectionFilter{Limit: 10})
	}); len(got) != 0 {
		t.Errorf("PaymentCollections of a merchant without any = %v", got)
	}
}

func errOf[T any](_ T, err error) error { return err }

// wantStale checks that err is a stale save's: EConflict wrapping
// store.ErrStale.
func wantStale(t *testing.T, what string, err error) {
	t.Helper()
	wantCode(t, what, err, kassa.EConflict)
	if !errors.Is(err, store.ErrStale) {
		t.Errorf("%s = %v, want ErrStale wrapped", what, err)
	}
}

func testPaymentVersions(f *fixture) {
	t, ctx := f.t, f.ctx
	mid := f.createMerchant()
	c, ss, p := f.paymentRecords(mid)
	env := payment.Env{Now: f.now, IDs: f.ids}

	// Two writers read the same version; the second save is stale.
	p1, _, err := p.Begin(env, payment.KindCapture, payment.MovementRequest{Amount: 100})
	f.ok("Begin", err)
	p2, _, err := p.Begin(env, payment.KindCapture, payment.MovementRequest{Amount: 200})
	f.ok("Begin", err)
	f.mustUpdate(func(tx store.Tx) error { return tx.UpdatePayment(ctx, p1) })
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePayment(ctx, p2) })
	wantStale(t, "stale UpdatePayment", err)
	c2, err := c.Update(env, payment.CollectionUpdate{Amount: new(int64(60000))})
	f.ok("Update", err)
	f.mustUpdate(func(tx store.Tx) error { return tx.UpdatePaymentCollection(ctx, c2) })
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePaymentCollection(ctx, c2) })
	wantStale(t, "UpdatePaymentCollection twice", err)
	s2 := ss[1].Failed(env, errors.New("boom"))
	f.mustUpdate(func(tx store.Tx) error { return tx.UpdatePaymentSession(ctx, s2) })
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePaymentSession(ctx, s2) })
	wantStale(t, "UpdatePaymentSession twice", err)

	// A save must find the version read, however far the record's
	// Version has moved on: a transaction need not save every state it
	// passes through.
	readSession := func() *payment.Session {
		return mustRead(f, func(tx store.ReadTx) (*payment.Session, error) { return tx.PaymentSession(ctx, mid, s2.ID) })
	}
	twice := func(ps *payment.Session) *payment.Session {
		return ps.Failed(env, errors.New("once")).Failed(env, errors.New("twice"))
	}
	was := readSession()
	s3 := twice(was)
	f.mustUpdate(func(tx store.Tx) error { return tx.UpdatePaymentSession(ctx, s3) })
	if got := readSession(); got.Version != s3.Version || got.Version != was.Version+2 {
		t.Errorf("a session saved two changes on from version %d: version %d, want %d", was.Version, got.Version, s3.Version)
	}
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePaymentSession(ctx, twice(was)) })
	wantStale(t, "UpdatePaymentSession two changes on from the version before", err)
	err = f.s.Update(ctx, func(tx store.Tx) error {
		now := readSession()
		if err := tx.UpdatePaymentSession(ctx, now.Failed(env, errors.New("saved"))); err != nil {
			return err
		}
		return tx.UpdatePaymentSession(ctx, now.Failed(env, errors.New("from the same read")))
	})
	wantStale(t, "UpdatePaymentSession of the version this transaction saved over", err)

	// A stale save fails its transaction by the next statement at the
	// latest, and nothing the transaction wrote is kept.
	err = f.s.Update(ctx, func(tx store.Tx) error {
		if err := tx.UpdatePaymentSession(ctx, s2); err != nil {
			return err
		}
		_, err := tx.PaymentCollection(ctx, mid, c.ID)
		return err
	})
	wantStale(t, "stale UpdatePaymentSession, then a read", err)
	later, err := payment.NewCollection(env, mid, "SEK", 100, nil)
	f.ok("NewCollection", err)
	err = f.s.Update(ctx, func(tx store.Tx) error {
		return errors.Join(tx.UpdatePaymentCollection(ctx, c2), tx.CreatePaymentCollection(ctx, later))
	})
	wantStale(t, "stale UpdatePaymentCollection, then a create", err)
	_, err = read(f, func(tx store.ReadTx) (*payment.Collection, error) { return tx.PaymentCollection(ctx, mid, later.ID) })
	wantCode(t, "collection created after a stale save", err, kassa.ENotFound)

	// Records of another merchant are not found, not overwritten.
	theirs := *p1
	theirs.MerchantID, theirs.Version = "ac_other", p1.Version+1
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePayment(ctx, &theirs) })
	wantCode(t, "UpdatePayment as another merchant", err, kassa.ENotFound)
	if errors.Is(err, store.ErrStale) {
		t.Errorf("UpdatePayment as another merchant = %v, wraps ErrStale", err)
	}

	// Saves of records never created are not found either, also when the
	// transaction goes on to write.
	gone, err := payment.NewCollection(env, mid, "SEK", 100, nil)
	f.ok("NewCollection", err)
	goneSession, err := payment.NewSession(env, gone, payment.SessionParams{ProviderID: "pp_system_default"})
	f.ok("NewSession", err)
	gone.Version++
	goneSession.Version++
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePaymentCollection(ctx, gone) })
	wantCode(t, "UpdatePaymentCollection of no collection", err, kassa.ENotFound)
	err = f.s.Update(ctx, func(tx store.Tx) error {
		return errors.Join(tx.UpdatePaymentSession(ctx, goneSession), tx.CreatePaymentCollection(ctx, later))
	})
	wantCode(t, "UpdatePaymentSession of no session, then a create", err, kassa.ENotFound)
	_, err = read(f, func(tx store.ReadTx) (*payment.Collection, error) { return tx.PaymentCollection(ctx, mid, later.ID) })
	wantCode(t, "collection created after saving no session", err, kassa.ENotFound)

	// A payment breaking its invariants is refused.
	bad := *p1
	bad.Version++
	bad.Amount = 1
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdatePayment(ctx, &bad) })
	if err == nil {
		t.Error("UpdatePayment of an over-captured payment: no error")
	}

	// One payment per session.
	dup := *p
	dup.ID = f.ids.New(payment.PrefixPayment)
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.CreatePayment(ctx, &dup) })
	wantCode(t, "second payment of a session", err, kassa.EConflict)
}

func testPaymentDeletes(f *fixture) {
	t, ctx := f.t, f.ctx
	mid := f.createMerchant()
	c, ss, _ := f.paymentRecords(mid)
	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.DeletePaymentCollection(ctx, mid, c.ID) })
	wantCode(t, "DeletePaymentCollection with a payment", err, kassa.EConflict)
	f.mustUpdate(func(tx store.Tx) error { return tx.DeletePaymentSession(ctx, mid, ss[1].ID) })
	_, err = read(f, func(tx store.ReadTx) (*payment.Session, error) { return tx.PaymentSession(ctx, mid, ss[1].ID) })
	wantCode(t, "deleted session", err, kassa.ENotFound)
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.DeletePaymentSession(ctx, mid, ss[1].ID) })
	wantCode(t, "DeletePaymentSession twice", err, kassa.ENotFound)

	env := payment.Env{Now: f.now, IDs: f.ids}
	c2, err := payment.NewCollection(env, mid, "EUR", 100, nil)
	f.ok("NewCollection", err)
	s, err := payment.NewSession(env, c2, payment.SessionParams{ProviderID: "pp_system_default"})
	f.ok("NewSession", err)
	f.mustUpdate(func(tx store.Tx) error {
		return errors.Join(tx.CreatePaymentCollection(ctx, c2), tx.CreatePaymentSession(ctx, s))
	})
	f.mustUpdate(func(tx store.Tx) error { return tx.DeletePaymentCollection(ctx, mid, c2.ID) })
	_, err = read(f, func(tx store.ReadTx) (*payment.Session, error) { return tx.PaymentSession(ctx, mid, s.ID) })
	wantCode(t, "session of a deleted collection", err, kassa.ENotFound)
}

func testProviderEvents(f *fixture) {
	t, ctx := f.t, f.ctx
	none := mustRead(f, func(tx store.ReadTx) (*store.ProviderEvent, error) { return tx.ProviderEvent(ctx, "pp_x", "ev1") })
	if none != nil {
		t.Fatalf("ProviderEvent before any = %+v", none)
	}
	e := &store.ProviderEvent{ProviderID: "pp_x", EventID: "ev1", Status: store.EventReceived, Action: "authorized", Body: []byte(`{"a":1}`),
		ReceivedAt: f.now, ClaimedUntil: f.now.Add(time.Minute)}
	f.mustUpdate(func(tx store.Tx) error { return tx.PutProviderEvent(ctx, e) })
	claimed := mustRead(f, func(tx store.ReadTx) (*store.ProviderEvent, error) { return tx.ProviderEvent(ctx, "pp_x", "ev1") })
	if diff := cmp.Diff(e, claimed); diff != "" {
		t.Errorf("claimed ProviderEvent (-want +got):\n%s", diff)
	}
	f.advance(1000)
	done := *e
	done.MerchantID, done.Status, done.ProcessedAt, done.ClaimedUntil = "ac_1", store.EventProcessed, f.now, time.Time{}
	f.mustUpdate(func(tx store.Tx) error { return tx.PutProviderEvent(ctx, &done) })
	got := mustRead(f, func(tx store.ReadTx) (*store.ProviderEvent, error) { return tx.ProviderEvent(ctx, "pp_x", "ev1") })
	if diff := cmp.Diff(&done, got); diff != "" {
		t.Errorf("ProviderEvent (-want +got):\n%s", diff)
	}
	if other := mustRead(f, func(tx store.ReadTx) (*store.ProviderEvent, error) { return tx.ProviderEvent(ctx, "pp_y", "ev1") }); other != nil {
		t.Errorf("ProviderEvent of another provider = %+v", other)
	}
}

// testProviderEventClaims: transactions that read a webhook event that is
// not recorded yet, and record it if so, take turns: exactly one of them
// finds it missing, however many run at once.
func testProviderEventClaims(f *fixture) {
	t, ctx := f.t, f.ctx
	const n = 16
	// Overlapping Views make a store with a connection pool open a
	// connection for each racer before the race.
	var warm sync.WaitGroup
	for i := range n {
		warm.Go(func() {
			if err := f.s.View(ctx, func(store.ReadTx) error { time.Sleep(50 * time.Millisecond); return nil }); err != nil {
				t.Errorf("View %d: %v", i, err)
			}
		})
	}
	warm.Wait()
	first := make([]bool, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			err := f.s.Update(ctx, func(tx store.Tx) error {
				e, err := tx.ProviderEvent(ctx, "pp_x", "ev1")
				if first[i] = err == nil && e == nil; !first[i] {
					return err
				}
				// Widen the window between the read and the write, in
				// which the others must not find the event missing too.
				time.Sleep(20 * time.Millisecond)
				return tx.PutProviderEvent(ctx, &store.ProviderEvent{ProviderID: "pp_x", EventID: "ev1", MerchantID: strconv.Itoa(i),
					Status: store.EventReceived, Action: "authorized", ReceivedAt: f.now})
			})
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	got := mustRead(f, func(tx store.ReadTx) (*store.ProviderEvent, error) { return tx.ProviderEvent(ctx, "pp_x", "ev1") })
	var firsts []int
	for i, ok := range first {
		if ok {
			firsts = append(firsts, i)
		}
	}
	if len(firsts) != 1 || got == nil || got.MerchantID != strconv.Itoa(firsts[0]) {
		t.Fatalf("transactions %v found the event missing; recorded %+v; want exactly one, the recorder", firsts, got)
	}
}

// testIdempotencyPending: a pending record (a payment-module call under
// way) is replaced by the call's answer, or by another pending record;
// an answered one never is.
func testIdempotencyPending(f *fixture) {
	t, ctx := f.t, f.ctx
	mid := f.createMerchant()
	pending := &store.IdempotencyRecord{MerchantID: mid, Key: "k", Fingerprint: []byte("fp"), Status: store.Pending, Body: []byte("payses_1"), CreatedAt: f.now}
	f.mustUpdate(func(tx store.Tx) error { return tx.PutIdempotencyRecord(ctx, pending) })
	got := mustRead(f, func(tx store.ReadTx) (*store.IdempotencyRecord, error) { return tx.IdempotencyRecord(ctx, mid, "k") })
	if diff := cmp.Diff(pending, got); diff != "" || !got.Pending() {
		t.Errorf("pending IdempotencyRecord (-want +got):\n%s", diff)
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.PutIdempotencyRecord(ctx, pending) })
	answer := *pending
	answer.Status, answer.Body, answer.CreatedAt = 201, []byte(`{"id":"payses_1"}`), f.now.Add(time.Second)
	f.mustUpdate(func(tx store.Tx) error { return tx.PutIdempotencyRecord(ctx, &answer) })
	got = mustRead(f, func(tx store.ReadTx) (*store.IdempotencyRecord, error) { return tx.IdempotencyRecord(ctx, mid, "k") })
	if diff := cmp.Diff(&answer, got); diff != "" || got.Pending() {
		t.Errorf("answered IdempotencyRecord (-want +got):\n%s", diff)
	}
	for _, again := range []*store.IdempotencyRecord{pending, &answer} {
		err := f.s.Update(ctx, func(tx store.Tx) error { return tx.PutIdempotencyRecord(ctx, again) })
		wantCode(t, "PutIdempotencyRecord over an answered record", err, kassa.EConflict)
	}
}
