package observe

import (
	"context"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/store"
	"github.com/prometheus/client_golang/prometheus"
)

// backlogTimeout bounds the backlog's read on a scrape, well within
// Prometheus's default scrape timeout of 10 s.
const backlogTimeout = 5 * time.Second

// SessionURL is the endpoint label of the deliveries to sessions'
// notification URLs, which belong to no endpoint.
const SessionURL = "session_url"

// WatchStore adds the store's metrics, read on each scrape: its
// connections and commits (store.Stats), and the backlog (store.Backlog,
// one read-only transaction, its age by clock). When the backlog cannot be
// read within backlogTimeout, its gauges are left out and kassa_backlog_up
// is 0.
func (m *Metrics) WatchStore(st store.Store, clock kassa.Clock) {
	m.reg.MustRegister(&storeCollector{st: st, clock: clock})
}

type storeCollector struct {
	st    store.Store
	clock kassa.Clock
}

var (
	connsDesc = prometheus.NewDesc("kassa_store_connections",
		"The store's connections that serve transactions (PostgreSQL's pool; SQLite's readers), by state: in_use, idle.", []string{"state"}, nil)
	maxConnsDesc = prometheus.NewDesc("kassa_store_connections_max",
		"The most connections the store opens to serve transactions.", nil, nil)
	waitsDesc = prometheus.NewDesc("kassa_store_connection_waits_total",
		"Transactions that waited for a free connection.", nil, nil)
	waitTimeDesc = prometheus.NewDesc("kassa_store_connection_wait_seconds_total",
		"Time transactions waited for a free connection.", nil, nil)
	commitsDesc = prometheus.NewDesc("kassa_store_commits_total",
		"Read-write transactions committed.", nil, nil)
	updatesDesc = prometheus.NewDesc("kassa_store_updates_total",
		"Updates those commits answered: more than the commits when SQLite commits several together (group commit).", nil, nil)
	queuedDesc = prometheus.NewDesc("kassa_store_updates_queued",
		"Updates waiting for SQLite's writer (0 on PostgreSQL).", nil, nil)
	backlogUpDesc = prometheus.NewDesc("kassa_backlog_up",
		"1 when this scrape read the backlog from the database, 0 when that failed or timed out.", nil, nil)
	deliveriesDesc = prometheus.NewDesc("kassa_notification_deliveries_pending",
		"Notification deliveries not yet delivered or given up, by merchant and endpoint (session_url: sessions' notification URLs); only those with some.",
		[]string{"merchant", "endpoint"}, nil)
	deliveriesAgeDesc = prometheus.NewDesc("kassa_notification_deliveries_oldest_pending_seconds",
		"Age of the oldest pending notification delivery, by merchant and endpoint.", []string{"merchant", "endpoint"}, nil)
	mailsDesc      = prometheus.NewDesc("kassa_mails_queued", "E-mails queued: neither sent nor given up.", nil, nil)
	mailsAgeDesc   = prometheus.NewDesc("kassa_mails_oldest_queued_seconds", "Age of the oldest queued e-mail; 0 with none.", nil, nil)
	unnumberedDesc = prometheus.NewDesc("kassa_documents_unnumbered",
		"Invoice documents issued and waiting for their number.", nil, nil)
	unnumberedAgeDesc = prometheus.NewDesc("kassa_documents_oldest_unnumbered_seconds",
		"Age of the oldest invoice document waiting for its number; 0 with none.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{connsDesc, maxConnsDesc, waitsDesc, waitTimeDesc, commitsDesc, updatesDesc, queuedDesc,
		backlogUpDesc, deliveriesDesc, deliveriesAgeDesc, mailsDesc, mailsAgeDesc, unnumberedDesc, unnumberedAgeDesc} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.st.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(connsDesc, float64(s.InUseConns), "in_use")
	gauge(connsDesc, float64(s.IdleConns), "idle")
	gauge(maxConnsDesc, float64(s.MaxConns))
	counter(waitsDesc, float64(s.Waits))
	counter(waitTimeDesc, s.WaitTime.Seconds())
	counter(commitsDesc, float64(s.Commits))
	counter(updatesDesc, float64(s.Updates))
	gauge(queuedDesc, float64(s.Queued))

	ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
	defer cancel()
	var b store.Backlog
	err := c.st.View(ctx, func(tx store.ReadTx) (err error) {
		b, err = tx.Backlog(ctx)
		return err
	})
	if err != nil {
		gauge(backlogUpDesc, 0)
		return
	}
	gauge(backlogUpDesc, 1)
	now := c.clock.Now()
	age := func(q store.Queue) float64 {
		if q.Count == 0 {
			return 0
		}
		return max(now.Sub(q.Oldest).Seconds(), 0) // a clock stepped back ages nothing below 0
	}
	for _, d := range b.Deliveries {
		endpoint := d.EndpointID
		if endpoint == "" {
			endpoint = SessionURL
		}
		gauge(deliveriesDesc, float64(d.Count), d.MerchantID, endpoint)
		gauge(deliveriesAgeDesc, age(d.Queue), d.MerchantID, endpoint)
	}
	gauge(mailsDesc, float64(b.Mails.Count))
	gauge(mailsAgeDesc, age(b.Mails))
	gauge(unnumberedDesc, float64(b.Unnumbered.Count))
	gauge(unnumberedAgeDesc, age(b.Unnumbered))
}
