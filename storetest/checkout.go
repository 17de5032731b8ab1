package storetest

import (
	"errors"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/session"
	"github.com/kassa-pay/kassa/store"
)

// testCreditHolds: CreditStanding's exposure sums the live holds of one
// line, leaving out expired ones, other lines and the excepted session;
// PutCreditHold replaces a session's hold, even onto
// another line, and 0 removes it.
func testCreditHolds(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	line := store.CreditLine{MerchantID: m, CompanyID: "556677-8899", Currency: "SEK"}
	other := line
	other.CompanyID = "559311-3714"
	eur := line
	eur.Currency = "EUR"
	exposure := func(l store.CreditLine, except string) int64 {
		t.Helper()
		st := mustRead(f, func(tx store.ReadTx) (*store.CreditStanding, error) { return tx.CreditStanding(ctx, l, f.now, except) })
		return st.Exposure
	}
	put := func(hs ...store.CreditHold) {
		t.Helper()
		f.mustUpdate(func(tx store.Tx) error {
			for _, h := range hs {
				if err := tx.PutCreditHold(ctx, h); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if got := exposure(line, ""); got != 0 {
		t.Errorf("Exposure of an unused line = %d, want 0", got)
	}
	put(
		store.CreditHold{SessionID: "ps_a", Line: line, Amount: 1000, ExpiresAt: f.now.Add(time.Hour)},
		store.CreditHold{SessionID: "ps_b", Line: line, Amount: 200}, // an order: no expiry
		store.CreditHold{SessionID: "ps_c", Line: line, Amount: 30, ExpiresAt: f.now.Add(time.Minute)},
		store.CreditHold{SessionID: "ps_d", Line: other, Amount: 4},
		store.CreditHold{SessionID: "ps_e", Line: eur, Amount: 5},
	)
	if got := exposure(line, ""); got != 1230 {
		t.Errorf("Exposure = %d, want 1230", got)
	}
	if got := exposure(line, "ps_a"); got != 230 {
		t.Errorf("Exposure except ps_a = %d, want 230", got)
	}
	f.advance(time.Minute)
	if got := exposure(line, ""); got != 1200 {
		t.Errorf("Exposure once ps_c expired = %d, want 1200", got)
	}
	put(store.CreditHold{SessionID: "ps_a", Line: other, Amount: 7})
	if got, gotOther := exposure(line, ""), exposure(other, ""); got != 200 || gotOther != 11 {
		t.Errorf("Exposure after moving ps_a = %d and %d, want 200 and 11", got, gotOther)
	}
	put(store.CreditHold{SessionID: "ps_b", Line: line}, store.CreditHold{SessionID: "ps_never", Line: line})
	if got := exposure(line, ""); got != 0 {
		t.Errorf("Exposure after removing ps_b = %d, want 0", got)
	}
	if got := exposure(eur, ""); got != 5 {
		t.Errorf("EUR exposure = %d, want 5", got)
	}

	// LockCreditLine can be taken again and again, and SessionOwner finds
	// a session without knowing its merchant.
	s := f.newSession(m)
	f.mustUpdate(func(tx store.Tx) error {
		if err := tx.LockCreditLine(ctx, line); err != nil {
			return err
		}
		if err := tx.LockCreditLine(ctx, line); err != nil {
			return err
		}
		return tx.CreateSession(ctx, s)
	})
	if got := mustRead(f, func(tx store.ReadTx) (string, error) { return tx.SessionOwner(ctx, s.ID) }); got != m {
		t.Errorf("SessionOwner = %q, want %q", got, m)
	}
	_, err := read(f, func(tx store.ReadTx) (string, error) { return tx.SessionOwner(ctx, "ps_missing") })
	wantCode(t, "SessionOwner(missing)", err, kassa.ENotFound)
}

// testConcurrentCredit: many concurrent Updates each lock a line, read its
// exposure (CreditStanding) and reserve only if the
// limit allows; the reservations never add up to more than the limit, and
// as many fit as the limit allows.
func testConcurrentCredit(f *fixture) {
	t, ctx := f.t, f.ctx
	const n, amount, limit = 40, 300, 3000
	m := f.createMerchant()
	line := store.CreditLine{MerchantID: m, CompanyID: "556677-8899", Currency: "SEK"}
	granted := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := f.s.Update(ctx, func(tx store.Tx) error {
				granted[i] = false
				if err := tx.LockCreditLine(ctx, line); err != nil {
					return err
				}
				st, err := tx.CreditStanding(ctx, line, f.now, "")
				if err != nil || st.Exposure+amount > limit {
					return err
				}
				granted[i] = true
				return tx.PutCreditHold(ctx, store.CreditHold{SessionID: kassa.PrefixSession + string(rune('A'+i)), Line: line, Amount: amount})
			})
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	k := 0
	for _, g := range granted {
		if g {
			k++
		}
	}
	got := mustRead(f, func(tx store.ReadTx) (*store.CreditStanding, error) { return tx.CreditStanding(ctx, line, f.now, "") })
	if k != limit/amount || got.Exposure != int64(k*amount) {
		t.Errorf("%d reservations granted, exposure %d; want %d granted, exposure %d", k, got.Exposure, limit/amount, limit)
	}
}

// Sessions lists a merchant's sessions newest first, ties by ID, by the
// state the API reports: one that placed an order or was cancelled never
// reads expired, the others do from their expiry on.
func testSessionList(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	start := f.now
	var ss []*session.Session // oldest first; the last two tie on time
	for i, at := range []time.Duration{0, time.Second, 2 * time.Second, 2 * time.Second} {
		f.now = start.Add(at)
		s := f.newSession(m)
		switch i {
		case 1:
			s, _ = f.authorize(s)
		case 2:
			s.State = session.StateCancelled
		case 3:
			s, _ = f.authorize(s)
			s.OrderID = "or_placed"
		}
		ss = append(ss, s)
	}
	created, authorized, cancelled, placed := ss[0], ss[1], ss[2], ss[3]
	f.mustUpdate(func(tx store.Tx) error {
		for _, s := range append(ss[:3:3], f.newSession(other)) {
			if err := tx.CreateSession(ctx, s); err != nil {
				return err
			}
		}
		// Saved as created, then updated: UpdateSession writes the columns too.
		first := *placed
		first.State, first.OrderID = session.StateCreated, ""
		return errors.Join(tx.CreateSession(ctx, &first), tx.UpdateSession(ctx, placed))
	})
	newest := []string{placed.ID, cancelled.ID}
	if cancelled.ID > placed.ID {
		newest = []string{cancelled.ID, placed.ID}
	}
	all := append(newest, authorized.ID, created.ID)
	list := func(flt store.SessionFilter) (ids []string) {
		if flt.Limit == 0 {
			flt.Limit = 10
		}
		for _, s := range mustRead(f, func(tx store.ReadTx) ([]*session.Session, error) { return tx.Sessions(ctx, m, flt) }) {
			ids = append(ids, s.ID)
		}
		return ids
	}
	expiry := start.Add(session.Lifetime + time.Second) // after the first two expire
	tests := []struct {
		name string
		flt  store.SessionFilter
		want []string
	}{
		{"all", store.SessionFilter{Now: start}, all},
		{"limit", store.SessionFilter{Now: start, Limit: 1}, all[:1]},
		{"after the first", store.SessionFilter{Now: start, After: &store.ListPosition{CreatedAt: f.now, ID: all[0]}}, all[1:]},
		{"created", store.SessionFilter{Now: start, States: []string{session.StateCreated}}, []string{created.ID}},
		{"authorized", store.SessionFilter{Now: start, States: []string{session.StateAuthorized}}, []string{placed.ID, authorized.ID}},
		{"cancelled or created", store.SessionFilter{Now: start, States: []string{session.StateCancelled, session.StateCreated}}, []string{cancelled.ID, created.ID}},
		{"expired before the expiry", store.SessionFilter{Now: start, States: []string{session.StateExpired}}, nil},
		{"expired after it", store.SessionFilter{Now: expiry, States: []string{session.StateExpired}}, []string{authorized.ID, created.ID}},
		{"authorized after it", store.SessionFilter{Now: expiry, States: []string{session.StateAuthorized}}, []string{placed.ID}},
		{"cancelled after it", store.SessionFilter{Now: expiry, States: []string{session.StateCancelled}}, []string{cancelled.ID}},
		{"awaiting a signatory", store.SessionFilter{Now: start, States: []string{session.StateAwaitingSignatory}}, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, list(tt.flt)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if got := mustRead(f, func(tx store.ReadTx) ([]*session.Session, error) {
		return tx.Sessions(ctx, f.createMerchant(), store.SessionFilter{Now: start, Limit: 10})
	}); len(got) != 0 {
		t.Errorf("Sessions of a merchant without any = %v", got)
	}
}
