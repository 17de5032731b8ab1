package storetest

import (
	"slices"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

func (f *fixture) newUser(merchantID, email string, role user.Role) *user.User {
	return &user.User{ID: f.ids.New(user.IDPrefix), MerchantID: merchantID, Email: email, Role: role, CreatedAt: f.now}
}

// Users round-trip; an address belongs to one user of any merchant; a
// merchant's listing holds only its users; an update reaches only its
// user.
func testUsers(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	ada := f.newUser(m, "ada@example.com", user.Owner)
	f.advance(time.Second)
	bo := f.newUser(m, "bo@example.com", user.Support)
	bo.PasswordHash, bo.TOTPSecret, bo.TOTPEnabled, bo.TOTPStep = "$argon2id$…", "sealed secret", true, 59_000_000
	f.mustUpdate(func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, ada); err != nil {
			return err
		}
		return tx.CreateUser(ctx, bo)
	})
	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.CreateUser(ctx, f.newUser(other, "ada@example.com", user.Owner)) })
	wantCode(t, "CreateUser with another user's address", err, kassa.EConflict)
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateUser(ctx, f.newUser(other, "cy@example.com", user.Admin)) })

	got := mustRead(f, func(tx store.ReadTx) (*user.User, error) { return tx.User(ctx, bo.ID) })
	if diff := cmp.Diff(bo, got); diff != "" {
		t.Errorf("User (-want +got):\n%s", diff)
	}
	got = mustRead(f, func(tx store.ReadTx) (*user.User, error) { return tx.UserByEmail(ctx, "ada@example.com") })
	if diff := cmp.Diff(ada, got); diff != "" {
		t.Errorf("UserByEmail (-want +got):\n%s", diff)
	}
	list := mustRead(f, func(tx store.ReadTx) ([]user.User, error) { return tx.Users(ctx, m) })
	if diff := cmp.Diff([]user.User{*ada, *bo}, list); diff != "" {
		t.Errorf("Users (-want +got):\n%s", diff)
	}
	_, err = read(f, func(tx store.ReadTx) (*user.User, error) { return tx.User(ctx, "usr_none") })
	wantCode(t, "User(missing)", err, kassa.ENotFound)
	_, err = read(f, func(tx store.ReadTx) (*user.User, error) { return tx.UserByEmail(ctx, "nobody@example.com") })
	wantCode(t, "UserByEmail(missing)", err, kassa.ENotFound)

	ada.Role, ada.PasswordHash, ada.TOTPSecret, ada.TOTPEnabled, ada.TOTPStep = user.Admin, "$argon2id$new", "sealed", true, 7
	f.mustUpdate(func(tx store.Tx) error { return tx.UpdateUser(ctx, ada) })
	got = mustRead(f, func(tx store.ReadTx) (*user.User, error) { return tx.User(ctx, ada.ID) })
	if diff := cmp.Diff(ada, got); diff != "" {
		t.Errorf("User after UpdateUser (-want +got):\n%s", diff)
	}
	foreign := *ada
	foreign.MerchantID, foreign.Role = other, user.Owner
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UpdateUser(ctx, &foreign) })
	wantCode(t, "UpdateUser under another merchant", err, kassa.ENotFound)
	if got := mustRead(f, func(tx store.ReadTx) (*user.User, error) { return tx.User(ctx, ada.ID) }); got.Role != user.Admin {
		t.Errorf("a refused update changed the role to %s", got.Role)
	}
}

// Sessions are found by hash, touched, and removed one by one or all of
// a user's at once.
func testDashboardSessions(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	s1 := &user.Session{Hash: user.Hash("one"), UserID: "usr_1", MerchantID: m, CreatedAt: f.now, LastSeenAt: f.now}
	s2 := &user.Session{Hash: user.Hash("two"), UserID: "usr_1", MerchantID: m, Pending: true, CreatedAt: f.now, LastSeenAt: f.now}
	s3 := &user.Session{Hash: user.Hash("three"), UserID: "usr_2", MerchantID: m, CreatedAt: f.now, LastSeenAt: f.now}
	f.mustUpdate(func(tx store.Tx) error {
		for _, s := range []*user.Session{s1, s2, s3} {
			if err := tx.CreateDashboardSession(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.CreateDashboardSession(ctx, s1) })
	wantCode(t, "CreateDashboardSession twice", err, kassa.EConflict)
	session := func(s *user.Session) (*user.Session, error) {
		return read(f, func(tx store.ReadTx) (*user.Session, error) { return tx.DashboardSession(ctx, s.Hash) })
	}
	if got, err := session(s2); err != nil || !cmp.Equal(s2, got) {
		t.Errorf("DashboardSession = %+v, %v; want %+v", got, err, s2)
	}
	f.advance(time.Minute)
	f.mustUpdate(func(tx store.Tx) error { return tx.TouchDashboardSession(ctx, s1.Hash, f.now) })
	if got, err := session(s1); err != nil || !got.LastSeenAt.Equal(f.now) || !got.CreatedAt.Equal(s1.CreatedAt) {
		t.Errorf("touched session = %+v, %v; want last seen %v", got, err, f.now)
	}
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.TouchDashboardSession(ctx, user.Hash("none"), f.now) })
	wantCode(t, "TouchDashboardSession(missing)", err, kassa.ENotFound)

	var n int
	f.mustUpdate(func(tx store.Tx) (err error) { n, err = tx.DeleteUserSessions(ctx, "usr_1"); return err })
	if n != 2 {
		t.Errorf("DeleteUserSessions = %d, want 2", n)
	}
	for _, s := range []*user.Session{s1, s2} {
		_, err := session(s)
		wantCode(t, "DashboardSession after DeleteUserSessions", err, kassa.ENotFound)
	}
	if _, err := session(s3); err != nil {
		t.Errorf("another user's session: %v", err)
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.DeleteDashboardSession(ctx, s3.Hash) })
	_, err = session(s3)
	wantCode(t, "DashboardSession after DeleteDashboardSession", err, kassa.ENotFound)
	f.mustUpdate(func(tx store.Tx) error { return tx.DeleteDashboardSession(ctx, s3.Hash) }) // gone already: no error
}

// A one-time token is used once: a second use, concurrent or not, is
// ENotFound and changes nothing.
func testOneTimeTokens(f *fixture) {
	t, ctx := f.t, f.ctx
	u := &user.User{ID: "usr_1", MerchantID: f.createMerchant()}
	secret, tok := user.NewToken(user.PasswordReset, u, f.now)
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateOneTimeToken(ctx, &tok) })
	get := func() (*user.Token, error) {
		return read(f, func(tx store.ReadTx) (*user.Token, error) { return tx.OneTimeToken(ctx, user.Hash(secret)) })
	}
	if got, err := get(); err != nil || !cmp.Equal(&tok, got) {
		t.Errorf("OneTimeToken = %+v, %v; want %+v", got, err, tok)
	}
	f.advance(time.Minute)
	f.mustUpdate(func(tx store.Tx) error { return tx.UseOneTimeToken(ctx, tok.Hash, f.now) })
	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.UseOneTimeToken(ctx, tok.Hash, f.now.Add(time.Second)) })
	wantCode(t, "UseOneTimeToken twice", err, kassa.ENotFound)
	if got, err := get(); err != nil || !got.UsedAt.Equal(f.now) || got.Usable(f.now) {
		t.Errorf("used token = %+v, %v; want used at %v", got, err, f.now)
	}
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.UseOneTimeToken(ctx, user.Hash("none"), f.now) })
	wantCode(t, "UseOneTimeToken(missing)", err, kassa.ENotFound)
	_, err = read(f, func(tx store.ReadTx) (*user.Token, error) { return tx.OneTimeToken(ctx, secret) })
	wantCode(t, "OneTimeToken(the secret, not its hash)", err, kassa.ENotFound)
}

// Deleting a user removes it with its sessions and one-time tokens, and
// nobody else's; another merchant's user is ENotFound and stays; its
// address is free again.
func testDeleteUser(f *fixture) {
	t, ctx := f.t, f.ctx
	m, other := f.createMerchant(), f.createMerchant()
	gone, kept, foreign := f.newUser(m, "gone@example.com", user.Support), f.newUser(m, "kept@example.com", user.Owner), f.newUser(other, "foreign@example.com", user.Owner)
	var secrets, keptSecrets []string
	f.mustUpdate(func(tx store.Tx) error {
		for _, u := range []*user.User{gone, kept, foreign} {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := tx.CreateDashboardSession(ctx, &user.Session{Hash: user.Hash("session " + u.ID), UserID: u.ID, MerchantID: u.MerchantID, CreatedAt: f.now, LastSeenAt: f.now}); err != nil {
				return err
			}
			secret, tok := user.NewToken(user.Invitation, u, f.now)
			if err := tx.CreateOneTimeToken(ctx, &tok); err != nil {
				return err
			}
			if u == gone {
				secrets = append(secrets, secret)
			} else {
				keptSecrets = append(keptSecrets, secret)
			}
		}
		return nil
	})
	err := f.s.Update(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, m, foreign.ID) })
	wantCode(t, "DeleteUser of another merchant's user", err, kassa.ENotFound)
	f.mustUpdate(func(tx store.Tx) error { return tx.DeleteUser(ctx, m, gone.ID) })
	err = f.s.Update(ctx, func(tx store.Tx) error { return tx.DeleteUser(ctx, m, gone.ID) })
	wantCode(t, "DeleteUser twice", err, kassa.ENotFound)

	_, err = read(f, func(tx store.ReadTx) (*user.User, error) { return tx.User(ctx, gone.ID) })
	wantCode(t, "User after DeleteUser", err, kassa.ENotFound)
	_, err = read(f, func(tx store.ReadTx) (*user.Session, error) {
		return tx.DashboardSession(ctx, user.Hash("session "+gone.ID))
	})
	wantCode(t, "DashboardSession after DeleteUser", err, kassa.ENotFound)
	_, err = read(f, func(tx store.ReadTx) (*user.Token, error) { return tx.OneTimeToken(ctx, user.Hash(secrets[0])) })
	wantCode(t, "OneTimeToken after DeleteUser", err, kassa.ENotFound)
	for _, u := range []*user.User{kept, foreign} {
		if _, err := read(f, func(tx store.ReadTx) (*user.Session, error) {
			return tx.DashboardSession(ctx, user.Hash("session "+u.ID))
		}); err != nil {
			t.Errorf("%s's session after deleting another user: %v", u.Email, err)
		}
	}
	for _, s := range keptSecrets {
		if _, err := read(f, func(tx store.ReadTx) (*user.Token, error) { return tx.OneTimeToken(ctx, user.Hash(s)) }); err != nil {
			t.Errorf("another user's token after DeleteUser: %v", err)
		}
	}
	list := mustRead(f, func(tx store.ReadTx) ([]user.User, error) { return tx.Users(ctx, m) })
	if diff := cmp.Diff([]user.User{*kept}, list); diff != "" {
		t.Errorf("Users after DeleteUser (-want +got):\n%s", diff)
	}
	f.mustUpdate(func(tx store.Tx) error { return tx.CreateUser(ctx, f.newUser(other, "gone@example.com", user.Admin)) })
}

// Expired dashboard sessions and one-time tokens are deleted, a batch at
// a time, as user.Expiry says; the rest stay.
func testExpiredDashboardSessions(f *fixture) {
	t, ctx := f.t, f.ctx
	m := f.createMerchant()
	t0 := f.now
	mk := func(name string, pending bool, created, seen time.Duration) *user.Session {
		return &user.Session{Hash: user.Hash(name), UserID: "usr_" + name, MerchantID: m, Pending: pending, CreatedAt: t0.Add(created), LastSeenAt: t0.Add(seen)}
	}
	now := t0.Add(user.AbsoluteTimeout + time.Hour)
	ended := []*user.Session{
		mk("idle", false, user.AbsoluteTimeout, user.AbsoluteTimeout),                                   // last seen an hour ago
		mk("old", false, 0, user.AbsoluteTimeout+time.Hour-time.Minute),                                 // signed in too long ago
		mk("waiting", true, user.AbsoluteTimeout+time.Hour-user.PendingTimeout, 0),                      // its code step ran out
		mk("at-the-mark", false, user.AbsoluteTimeout, user.AbsoluteTimeout+time.Hour-user.IdleTimeout), // idle exactly that long
		mk("idle-pending", true, user.AbsoluteTimeout+time.Hour-user.PendingTimeout-1, 0),               // before the mark
	}
	live := []*user.Session{
		mk("in-use", false, user.AbsoluteTimeout, user.AbsoluteTimeout+time.Hour-time.Minute),
		mk("code-step", true, user.AbsoluteTimeout+time.Hour-time.Minute, 0),
	}
	u := &user.User{ID: "usr_t", MerchantID: m}
	_, expired := user.NewToken(user.PasswordReset, u, t0)
	_, valid := user.NewToken(user.Invitation, u, now)
	f.mustUpdate(func(tx store.Tx) error {
		for _, s := range append(slices.Clone(ended), live...) {
			if err := tx.CreateDashboardSession(ctx, s); err != nil {
				return err
			}
		}
		if err := tx.CreateOneTimeToken(ctx, &expired); err != nil {
			return err
		}
		return tx.CreateOneTimeToken(ctx, &valid)
	})
	for _, s := range ended {
		if !user.ExpiryAt(now).Ends(s) {
			t.Fatalf("the fixture's session %s has not ended by user.Expiry", s.UserID)
		}
	}
	var sessions, tokens, total int
	for range 4 { // a batch of 2 at a time
		f.mustUpdate(func(tx store.Tx) (err error) {
			sessions, tokens, err = tx.DeleteExpiredDashboardSessions(ctx, user.ExpiryAt(now), now, 2)
			return err
		})
		total += sessions
		if total == len(ended) && tokens == 0 {
			break
		}
	}
	if total != len(ended) {
		t.Errorf("deleted %d expired sessions, want %d", total, len(ended))
	}
	for _, s := range ended {
		_, err := read(f, func(tx store.ReadTx) (*user.Session, error) { return tx.DashboardSession(ctx, s.Hash) })
		wantCode(t, "expired session "+s.UserID, err, kassa.ENotFound)
	}
	for _, s := range live {
		if _, err := read(f, func(tx store.ReadTx) (*user.Session, error) { return tx.DashboardSession(ctx, s.Hash) }); err != nil {
			t.Errorf("session %s in use: %v", s.UserID, err)
		}
	}
	_, err := read(f, func(tx store.ReadTx) (*user.Token, error) { return tx.OneTimeToken(ctx, expired.Hash) })
	wantCode(t, "expired one-time token", err, kassa.ENotFound)
	if _, err := read(f, func(tx store.ReadTx) (*user.Token, error) { return tx.OneTimeToken(ctx, valid.Hash) }); err != nil {
		t.Errorf("a token still valid: %v", err)
	}
}
