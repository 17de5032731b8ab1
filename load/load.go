// Package load drives Ledyer-compatible APIs with whole purchases and
// measures them. `kassa load` and the benchmarks share it.
package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/kassa-pay/kassa/client"
)

// Recorder is a RoundTripper that records each request's latency under its
// operation: the last segment of its path that is not an ID.
type Recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	byOp map[string][]time.Duration
}

// NewRecorder records the requests it passes to next.
func NewRecorder(next http.RoundTripper) *Recorder {
	return &Recorder{next: next, byOp: map[string][]time.Duration{}}
}

func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := r.next.RoundTrip(req)
	d := time.Since(start)
	op := Operation(req.URL.Path)
	r.mu.Lock()
	r.byOp[op] = append(r.byOp[op], d)
	r.mu.Unlock()
	return resp, err
}

// Operation names a request by its path's last segment that is not an ID
// (IDs hold an underscore: or_…, at_…): "capture", "payment-sessions".
func Operation(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if p := parts[i]; p != "" && !strings.Contains(p, "_") {
			return p
		}
	}
	return path
}

// Reset forgets what was recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	clear(r.byOp)
	r.mu.Unlock()
}

// Stats are one operation's latencies.
type Stats struct {
	Count    int
	P50, P99 time.Duration
}

// Stats returns each operation's latencies so far.
func (r *Recorder) Stats() map[string]Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Stats, len(r.byOp))
	for op, ds := range r.byOp {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		at := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1))] }
		out[op] = Stats{Count: len(ds), P50: at(0.50), P99: at(0.99)}
	}
	return out
}

// Result is what a run measured.
type Result struct {
	Flows, Failed int
	Elapsed       time.Duration
	Ops           map[string]Stats
	FirstError    error
}

// FlowsPerSecond is the completed flows' rate.
func (r Result) FlowsPerSecond() float64 { return float64(r.Flows) / r.Elapsed.Seconds() }

// Run runs purchases (Purchase) from concurrency goroutines until
// d has passed, max purchases have started (0: no limit) or ctx ends,
// spreading them over the clients in turn (one per replica, say). The
// clients' transports must be rec.
func Run(ctx context.Context, clients []*client.Client, rec *Recorder, concurrency, max int, d time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var started, flows, failed atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for i := range concurrency {
		c := clients[i%len(clients)]
		wg.Go(func() {
			for ctx.Err() == nil && (max == 0 || started.Add(1) <= int64(max)) {
				if _, err := Purchase(ctx, c); err != nil {
					if ctx.Err() != nil {
						return // cut off by the end of the run, not a failure
					}
					failed.Add(1)
					first.CompareAndSwap(nil, &err)
					continue
				}
				flows.Add(1)
			}
		})
	}
	wg.Wait()
	res := Result{Flows: int(flows.Load()), Failed: int(failed.Load()), Elapsed: time.Since(start), Ops: rec.Stats()}
	if e := first.Load(); e != nil {
		res.FirstError = *e
	}
	return res
}

// Print writes the result as a table.
func (r Result) Print(w io.Writer) {
	fmt.Fprintf(w, "%d flows in %s: %.1f flows/s, %d failed\n", r.Flows, r.Elapsed.Round(time.Millisecond), r.FlowsPerSecond(), r.Failed)
	if r.FirstError != nil {
		fmt.Fprintf(w, "first failure: %v\n", r.FirstError)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\tp50 ms\tp99 ms\t")
	ops := make([]string, 0, len(r.Ops))
	for op := range r.Ops {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	for _, op := range ops {
		s := r.Ops[op]
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t\n", op, s.Count, ms(s.P50), ms(s.P99))
	}
	tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Repeat calls fn n times from conc goroutines and returns how long that
// took, or the first error (after which the other goroutines stop).
func Repeat(n, conc int, fn func() error) (time.Duration, error) {
	var next atomic.Int64
	var first atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for first.Load() == nil && next.Add(1) <= int64(n) {
				if err := fn(); err != nil {
					first.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	if e := first.Load(); e != nil {
		return 0, *e
	}
	return time.Since(start), nil
}
