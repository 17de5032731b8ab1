package provider_test

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// next waits up to wait for the feed's next notifications and returns
// their order IDs (none for a session's) and types.
func next(t *testing.T, f *provider.NotificationFeed, wait time.Duration) []string {
	t.Helper()
	ns, err := f.Next(t.Context(), wait)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, n.OrderID+" "+n.Type)
	}
	return out
}

// TestNotificationFeed: a feed opened now returns the notifications
// written after it opened, in order, including one that appears late
// within the lookback; a cursor goes on after its notification.
func TestNotificationFeed(t *testing.T) {
	stores(t, func(t *testing.T, newEnv func(*testing.T, provider.Config) *env) {
		e := newEnv(t, provider.Config{})
		ctx := t.Context()
		before := kassatest.Purchase(t, e.app, e.merchant, nil)
		f, err := e.app.FollowNotifications(ctx, e.merchant, "")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if got := next(t, f, 10*time.Millisecond); got != nil {
			t.Fatalf("a feed opened now returned %v, written before it", got)
		}

		o := kassatest.Purchase(t, e.app, e.merchant, nil)
		want := []string{" " + notify.AuthorizationCreate, o.ID + " " + notify.OrderCreate, o.ID + " " + notify.OrderReadyForCapture}
		if got := next(t, f, 5*time.Second); !slices.Equal(got, want) {
			t.Fatalf("after a purchase the feed returned %v, want %v", got, want)
		}

		// Created 30 seconds ago but committed only now (a slow
		// transaction; a replica whose clock is behind): within the
		// lookback it is streamed, beyond it not.
		late := func(id string, age time.Duration) {
			n := &notify.Notification{ID: id, MerchantID: e.merchant, Type: notify.OrderCreate, OrderID: "or_" + id, Body: []byte(`{}`), CreatedAt: e.clock.Now().Add(-age)}
			e.update(func(ctx context.Context, tx store.Tx) error { return tx.CreateNotification(ctx, n, nil) })
		}
		late("nt_late", 30*time.Second)
		late("nt_lost", provider.FeedLookback+time.Second)
		if got := next(t, f, 5*time.Second); !slices.Equal(got, []string{"or_nt_late " + notify.OrderCreate}) {
			t.Fatalf("after late notifications the feed returned %v, want the one within the lookback", got)
		}

		// From a cursor: what came after that notification.
		var first notify.Notification
		e.update(func(ctx context.Context, tx store.Tx) error {
			ns, err := tx.Notifications(ctx, e.merchant, store.NotificationFilter{OrderID: before.ID, Limit: 1})
			first = ns[0] // the newest of the first purchase's
			return err
		})
		g, err := e.app.FollowNotifications(ctx, e.merchant, provider.NotificationCursor(&first))
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		got := next(t, g, time.Second)
		if !slices.Contains(got, o.ID+" "+notify.OrderCreate) || slices.Contains(got, before.ID+" "+first.Type) {
			t.Errorf("the feed from the first purchase's last notification returned %v", got)
		}
	})
}

// TestNotificationFeedRefusals: a cursor that is not one is a 400, and a
// merchant has at most MaxFeeds feeds open at once.
func TestNotificationFeedRefusals(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := newEnv(t, db, provider.Config{})
	ctx := t.Context()
	for _, c := range []string{"nonsense!", base64.RawURLEncoding.EncodeToString([]byte("12.or_1")), base64.RawURLEncoding.EncodeToString([]byte("x.nt_1"))} {
		if _, err := e.app.FollowNotifications(ctx, e.merchant, c); kassa.ErrorCode(err) != kassa.EInvalid {
			t.Errorf("FollowNotifications(cursor %q) = %v, want invalid", c, err)
		}
	}
	var open []*provider.NotificationFeed
	for range provider.MaxFeeds {
		f, err := e.app.FollowNotifications(ctx, e.merchant, "")
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, f)
	}
	if _, err := e.app.FollowNotifications(ctx, e.merchant, ""); kassa.ErrorCode(err) != kassa.ERateLimited {
		t.Fatalf("feed %d = %v, want rate limited", provider.MaxFeeds+1, err)
	}
	open[0].Close()
	open[0].Close() // a second Close frees nothing more
	f, err := e.app.FollowNotifications(ctx, e.merchant, "")
	if err != nil {
		t.Fatalf("a feed after one closed: %v", err)
	}
	f.Close()
	if _, err := e.app.FollowNotifications(ctx, e.merchant, ""); err != nil {
		t.Fatalf("a feed after another closed: %v", err)
	}
}
