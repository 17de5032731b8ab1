// Package jobs runs the provider's background work: each Job is one pass
// of a use case of package provider, run by Run every interval (and, for
// document numbering, moments after a transaction issued documents) until
// its context ends. kassa serve starts them; they need no HTTP server.
// The notification dispatcher (package webhook) and the mail sender
// (package mailer) run loops of their own.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/provider"
)

// Job is one kind of background work.
type Job struct {
	// Name says what the job does, in its log lines.
	Name string
	// ID is the job's short name in the metrics (docs/observability.md);
	// the jobs that change data are named as their audit log's actor.
	ID string
	// Pass does one round of the work and returns how many items it
	// handled.
	Pass func(ctx context.Context) (int, error)
	// Every is the time between passes.
	Every time.Duration
	// Wake, if set, starts a pass early: Linger after it receives, so that
	// what arrives meanwhile is handled in the same pass.
	Wake   <-chan struct{}
	Linger time.Duration
}

// Run runs j's passes until ctx ends, logging their failures to log and
// counting them in m. A pass that ctx ended is neither.
func (j Job) Run(ctx context.Context, log *slog.Logger, m *observe.Metrics) {
	jm := m.Job(j.ID)
	t := time.NewTicker(j.Every)
	defer t.Stop()
	for {
		start := time.Now()
		n, err := j.Pass(ctx)
		if ctx.Err() == nil {
			jm.Pass(n, time.Since(start), err)
			if err != nil {
				log.Error(j.Name, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-j.Wake:
			select {
			case <-ctx.Done():
				return
			case <-time.After(j.Linger):
			}
		}
	}
}

// Config chooses the jobs and how often they run.
type Config struct {
	// Every is the time between passes of each job.
	Every time.Duration
	// OverdueReminders marks unpaid invoices overdue after their due date
	// and e-mails one reminder each.
	OverdueReminders bool
}

// numberingLinger is how long numbering waits, once woken, for more
// documents to number in the same transaction: one transaction per
// document would double the commits of a capture.
const numberingLinger = 100 * time.Millisecond

// Provider returns the provider's jobs: marking orders ready for capture,
// automatic captures, recording orders' expiry, overdue reminders (when configured), purging expired
// idempotency records and ended dashboard sessions, and numbering issued documents. Each is safe to
// run in several processes sharing the database.
func Provider(app *provider.Service, cfg Config) []Job {
	js := []Job{
		{Name: "marking orders ready for capture", ID: "mark-ready", Pass: app.MarkDueOrdersReady, Every: cfg.Every},
		{Name: "capturing orders automatically", ID: "auto-capture", Pass: app.CaptureDueOrders, Every: cfg.Every},
		{Name: "recording orders' expiry", ID: "expire-orders", Pass: app.ExpireOrders, Every: cfg.Every},
		{Name: "purging idempotency records", ID: "purge-idempotency-records", Pass: app.PurgeIdempotencyRecords, Every: cfg.Every},
		{Name: "purging ended dashboard sessions", ID: "purge-dashboard-sessions", Pass: app.PurgeDashboardSessions, Every: cfg.Every},
		Numbering(app, cfg.Every),
	}
	if cfg.OverdueReminders {
		js = append(js, Job{Name: "reminding of overdue invoices", ID: "remind-overdue", Pass: app.RemindOverdue, Every: cfg.Every})
	}
	return js
}

// Numbering numbers issued documents (provider's NumberDocuments) moments
// after a transaction of this process issued some, and every interval for
// those that another process issued and could not number (it stopped
// first).
func Numbering(app *provider.Service, every time.Duration) Job {
	return Job{Name: "numbering documents", ID: "number-documents", Pass: app.NumberDocuments, Every: every, Wake: app.Issued(), Linger: numberingLinger}
}

// Clients refreshes what the process knows of the API clients revoked or
// rotated lately (provider's RefreshClients), so that it refuses their
// tokens. It changes nothing in the database, and every process serving
// the API runs it: every is the longest a revocation made by another
// process goes unnoticed in this one, give or take a pass
// (docs/api-keys.md).
func Clients(app *provider.Service, every time.Duration) Job {
	return Job{Name: "refreshing revoked and rotated API clients", ID: "refresh-clients", Pass: app.RefreshClients, Every: every}
}

// SigningKeys refreshes what the process knows of the access-token
// signing keys (provider's RefreshSigningKeys), so that it signs with a
// key rotated in by another process, and retires the ones it replaced. It
// changes nothing in the database, and every process serving the API runs
// it: every is the longest a rotation goes unnoticed in this one, give or
// take a pass (docs/secrets.md).
func SigningKeys(app *provider.Service, every time.Duration) Job {
	return Job{Name: "refreshing the access-token signing keys", ID: "refresh-signing-keys", Pass: app.RefreshSigningKeys, Every: every}
}
