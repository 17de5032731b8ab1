package limit

import (
	"sync"
	"time"
)

// Quota is a token bucket: Burst requests at once, refilled at Rate
// requests a second.
type Quota struct {
	Rate  float64
	Burst int
}

// Quotas holds one bucket per key, each starting full. Keys are kept for
// the life of the process, so they must come from a bounded set (the
// merchants, not anything a caller can make up). It is safe for
// concurrent use.
type Quotas struct {
	quota   Quota
	mu      sync.Mutex
	buckets map[string]*Bucket
}

// Bucket is one token bucket under a Quota, full at its first Take. It
// is not safe for concurrent use: its owner locks it.
type Bucket struct {
	tokens float64
	last   time.Time // of the last refill; zero before the first Take
}

// Take spends one request of the bucket at now and returns 0, or, with
// none left, returns how long until there is one (and spends nothing).
func (b *Bucket) Take(q Quota, now time.Time) time.Duration {
	if b.last.IsZero() {
		b.tokens, b.last = float64(q.Burst), now
	}
	if elapsed := now.Sub(b.last); elapsed > 0 { // a clock set back refills nothing
		b.tokens = min(float64(q.Burst), b.tokens+elapsed.Seconds()*q.Rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return max(time.Duration((1-b.tokens)/q.Rate*float64(time.Second)), 1)
}

// NewQuotas holds each key to q.
func NewQuotas(q Quota) *Quotas {
	return &Quotas{quota: q, buckets: map[string]*Bucket{}}
}

// Take spends one request of key's quota at now and returns 0, or, with
// none left, returns how long until there is one (and spends nothing).
func (q *Quotas) Take(key string, now time.Time) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	b := q.buckets[key]
	if b == nil {
		b = &Bucket{}
		q.buckets[key] = b
	}
	return b.Take(q.quota, now)
}
