package provider

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/store"
)

// Following a merchant's notifications as they are written: the
// notification stream (GET /v1/notifications/stream) that `kassa listen`
// forwards. A feed reads the store in the order of the notifications'
// creation time and ID, woken at once by this process's commits that
// write notifications and every second for the other processes'.

const (
	// FeedLookback is how far before the newest notification read each
	// read looks again: a notification is created in its transaction and
	// becomes visible when that commits, so one created earlier can
	// appear after a later one (concurrent transactions on PostgreSQL;
	// replicas whose clocks differ). One that appears later than this is
	// not streamed; its deliveries and GET /v1/notifications still have
	// it.
	FeedLookback = time.Minute
	// feedPoll is how often a feed reads the store for other processes'
	// notifications.
	feedPoll = time.Second
	// feedPage is how many notifications a feed reads at a time.
	feedPage = 100
	// MaxFeeds bounds the feeds a merchant has open in one process: each
	// reads the store every second.
	MaxFeeds = 10
)

// NotificationFeed is one merchant's notifications as they are written.
// It is not safe for concurrent use.
type NotificationFeed struct {
	s          *Service
	merchantID string
	floor      store.NotificationPosition // nothing at or before it is returned
	high       time.Time                  // the latest creation time read
	seen       map[string]time.Time       // returned or skipped within the lookback, by ID, with its creation time
	closed     bool
}

// FollowNotifications opens a feed of the merchant's notifications: those
// written from now on, or with a cursor (NotificationCursor), those after
// it. Close it when done.
func (s *Service) FollowNotifications(ctx context.Context, merchantID, cursor string) (*NotificationFeed, error) {
	f := &NotificationFeed{s: s, merchantID: merchantID, seen: map[string]time.Time{}}
	fromNow := cursor == ""
	if fromNow {
		f.high = s.clock.Now()
		f.floor = store.NotificationPosition{At: f.high.Add(-FeedLookback)}
	} else {
		p, err := parseCursor(cursor)
		if err != nil {
			return nil, err
		}
		f.floor, f.high = p, p.At
	}
	if err := s.feeds.open(merchantID); err != nil {
		return nil, err
	}
	if fromNow { // what is there already is not new, however late it appeared
		for {
			ns, err := f.read(ctx)
			if err != nil {
				f.Close()
				return nil, err
			}
			if len(ns) == 0 {
				break
			}
		}
	}
	return f, nil
}

// Close ends the feed.
func (f *NotificationFeed) Close() {
	if !f.closed {
		f.closed = true
		f.s.feeds.close(f.merchantID)
	}
}

// Next returns the notifications written since the last call, oldest
// first (give or take those that appear late), waiting for some for up to
// wait; none if wait passes.
func (f *NotificationFeed) Next(ctx context.Context, wait time.Duration) ([]notify.Notification, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		woken := f.s.notices.wait() // before reading: a commit during the read wakes the wait
		ns, err := f.read(ctx)
		if err != nil || len(ns) > 0 {
			return ns, err
		}
		poll := time.NewTimer(feedPoll)
		select {
		case <-ctx.Done():
			poll.Stop()
			return nil, ctx.Err()
		case <-deadline.C:
			poll.Stop()
			return nil, nil
		case <-woken:
		case <-poll.C:
		}
		poll.Stop()
	}
}

// read reads up to about a page of notifications not returned yet, from
// the lookback window before the newest read on.
func (f *NotificationFeed) read(ctx context.Context) ([]notify.Notification, error) {
	from := f.floor
	if edge := f.high.Add(-FeedLookback); edge.After(f.floor.At) {
		from = store.NotificationPosition{At: edge}
	}
	var out []notify.Notification
	for len(out) < feedPage {
		page, err := View(ctx, f.s, func(tx store.ReadTx) ([]notify.Notification, error) {
			return tx.NotificationsAfter(ctx, f.merchantID, from, feedPage)
		})
		if err != nil {
			return nil, err
		}
		for _, n := range page {
			if n.CreatedAt.After(f.high) {
				f.high = n.CreatedAt
			}
			if _, ok := f.seen[n.ID]; !ok {
				f.seen[n.ID] = n.CreatedAt
				out = append(out, n)
			}
		}
		if len(page) < feedPage {
			break
		}
		last := page[len(page)-1]
		from = store.NotificationPosition{At: last.CreatedAt, ID: last.ID}
	}
	edge := f.high.Add(-FeedLookback)
	for id, at := range f.seen { // what no read will look at again
		if at.Before(edge) {
			delete(f.seen, id)
		}
	}
	return out, nil
}

// NotificationCursor is the position of n in its merchant's
// notifications, opaque to clients: a feed opened with it goes on after n.
func NotificationCursor(n *notify.Notification) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(n.CreatedAt.UnixMicro(), 10) + "." + n.ID))
}

func parseCursor(s string) (store.NotificationPosition, error) {
	bad := kassa.Invalid("cursor", "cursor must be the id of an event of a notification stream")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.NotificationPosition{}, bad
	}
	at, id, ok := strings.Cut(string(b), ".")
	us, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || !strings.HasPrefix(id, kassa.PrefixNotification) {
		return store.NotificationPosition{}, bad
	}
	return store.NotificationPosition{At: time.UnixMicro(us).UTC(), ID: id}, nil
}

// notices wakes the feeds when a transaction of this process has
// committed notifications.
type notices struct {
	mu sync.Mutex
	ch chan struct{} // closed on the next commit
}

func (n *notices) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notices) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

// feeds counts the feeds open per merchant.
type feeds struct {
	mu    sync.Mutex
	count map[string]int
}

func (f *feeds) open(merchantID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count == nil {
		f.count = map[string]int{}
	}
	if f.count[merchantID] >= MaxFeeds {
		return kassa.Errorf(kassa.ERateLimited, "a merchant can follow its notifications at most %d times at once; close a stream first", MaxFeeds)
	}
	f.count[merchantID]++
	return nil
}

func (f *feeds) close(merchantID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count[merchantID]--; f.count[merchantID] == 0 {
		delete(f.count, merchantID)
	}
}
