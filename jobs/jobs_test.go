package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/jobs"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/observe/observetest"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/sqlite"
)

// A job passes at once, again when woken, and stops with its context; a
// failed pass is logged under the job's name and the job goes on. Its
// passes, failures and items are counted under its ID.
func TestRun(t *testing.T) {
	passes := make(chan int)
	wake := make(chan struct{})
	n := 0
	j := jobs.Job{
		Name:  "counting",
		ID:    "count",
		Every: time.Hour, // never ticks during the test
		Wake:  wake,
		Pass: func(ctx context.Context) (int, error) {
			n++
			select {
			case passes <- n:
			case <-ctx.Done(): // the fourth, which the test ends
				return 0, ctx.Err()
			}
			if n == 2 {
				return 0, errors.New("disk on fire")
			}
			return n, nil
		},
	}
	var (
		mu  sync.Mutex
		buf bytes.Buffer
	)
	log := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(b)
	}), nil))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	m := observe.New()
	go func() { j.Run(ctx, log, m); close(done) }()
	if got := <-passes; got != 1 {
		t.Fatalf("first pass %d", got)
	}
	wake <- struct{}{}
	if got := <-passes; got != 2 {
		t.Fatalf("pass after the wake-up %d", got)
	}
	wake <- struct{}{} // received once the failed pass is logged
	if got := <-passes; got != 3 {
		t.Fatalf("pass after the failure %d", got)
	}
	wake <- struct{}{} // received once the third pass is counted
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(buf.String(), "counting") || !strings.Contains(buf.String(), "disk on fire") {
		t.Errorf("log %q does not name the job and its failure", buf.String())
	}
	// The fourth pass, which cancel ended, is not counted.
	got := observetest.Scrape(t, m.Handler())
	for name, want := range map[string]float64{
		`kassa_job_passes_total{name="count"}`:                3,
		`kassa_job_failures_total{name="count"}`:              1,
		`kassa_job_items_total{name="count"}`:                 1 + 3,
		`kassa_job_pass_duration_seconds_count{name="count"}`: 3,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// The provider's jobs: overdue reminders only when configured.
func TestProvider(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	signer, err := provider.LoadSigner(t.Context(), db, kassatest.KEK())
	if err != nil {
		t.Fatal(err)
	}
	app := provider.New(slog.New(slog.DiscardHandler), provider.Config{KEK: kassatest.KEK()}, db, kassatest.NewClock(time.Now()), &kassatest.IDs{}, signer)
	names := func(js []jobs.Job) []string {
		var ns []string
		for _, j := range js {
			ns = append(ns, j.Name)
		}
		return ns
	}
	without := names(jobs.Provider(app, jobs.Config{Every: time.Second}))
	with := names(jobs.Provider(app, jobs.Config{Every: time.Second, OverdueReminders: true}))
	want := []string{"marking orders ready for capture", "capturing orders automatically", "recording orders' expiry", "purging idempotency records", "purging ended dashboard sessions", "numbering documents"}
	if !slices.Equal(without, want) {
		t.Errorf("jobs %q, want %q", without, want)
	}
	if !slices.Equal(with, append(want, "reminding of overdue invoices")) {
		t.Errorf("jobs with reminders %q", with)
	}
}
