package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/checkout"
	"github.com/kassa-pay/kassa/dashboard"
	"github.com/kassa-pay/kassa/jobs"
	"github.com/kassa-pay/kassa/limit"
	"github.com/kassa-pay/kassa/mailer"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/paymod"
	"github.com/kassa-pay/kassa/paymod/invoice"
	"github.com/kassa-pay/kassa/postgres"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/webhook"
)

// config is what serve reads from flags, falling back to the environment.
type config struct {
	db                    dbFlags
	addr, publicURL, mode string
	processingDelay       time.Duration
	smtp                  mailer.SMTP
	smtpAddr              string
	overdueReminders      bool
	allowPrivateWebhooks  bool
	webhookTimeout        time.Duration
	creditService         provider.CreditProvider
	invoice               invoice.Config // the payment module's invoice provider; off without a BaseURL
	limits                api.Limits
	kek                   *keyFlags
	tls                   *tls.Config // nil: plain HTTP, TLS terminated by a proxy in front
	obs                   obsFlags    // the log and the metrics (observe.go)
	logLevel              slog.Level  // obs's
}

func parseServe(args []string, getenv func(string) string, stdout io.Writer) (config, error) {
	fs := newFlags("serve", "[FLAGS]", "Run the server: the API, the buyer's pages and the background jobs, until SIGTERM or SIGINT.")
	var c config
	// Boolean variables are checked after the flags, so --help works whatever they hold.
	var envErr error
	boolEnv := func(name string, def bool) bool {
		v, err := envBool(getenv, name, def)
		envErr = errors.Join(envErr, err)
		return v
	}
	fs.StringVar(&c.addr, "addr", or(getenv("KASSA_ADDR"), "127.0.0.1:8080"), "address to listen on (KASSA_ADDR)")
	c.db.register(fs.FlagSet, getenv)
	fs.StringVar(&c.publicURL, "public-url", getenv("KASSA_PUBLIC_URL"), "base URL clients reach Kassa at (KASSA_PUBLIC_URL; default http://ADDR, or https://ADDR with --tls-cert; live mode: https, and required without --tls-cert)")
	fs.StringVar(&c.mode, "mode", or(getenv("KASSA_MODE"), "sandbox"), "sandbox or live; live creates no merchant, turns off the sandbox endpoints, demo shop and test companies, and takes https notification URLs only (docs/modes.md) (KASSA_MODE)")
	delay := or(getenv("KASSA_PROCESSING_DELAY"), "0s")
	fs.Func("processing-delay", "time from order creation to ready for capture, a `duration` such as 30s (KASSA_PROCESSING_DELAY, default 0s)", func(s string) error {
		delay = s
		return nil
	})
	fs.BoolVar(&c.allowPrivateWebhooks, "allow-private-webhooks", boolEnv("KASSA_ALLOW_PRIVATE_WEBHOOKS", false),
		"send notifications to loopback, private and link-local addresses too: for sandboxes and tests only (KASSA_ALLOW_PRIVATE_WEBHOOKS=true)")
	timeout := or(getenv("KASSA_WEBHOOK_TIMEOUT"), "15s")
	fs.Func("webhook-timeout", "time limit of one notification attempt, a `duration` (KASSA_WEBHOOK_TIMEOUT, default 15s)", func(s string) error {
		timeout = s
		return nil
	})
	fs.StringVar(&c.invoice.BaseURL, "invoice-url", getenv("KASSA_INVOICE_URL"),
		"base URL of the Ledyer-compatible API the payment module's invoice provider uses, Kassa's own included; empty: no invoice provider (KASSA_INVOICE_URL)")
	fs.StringVar(&c.invoice.TokenURL, "invoice-token-url", getenv("KASSA_INVOICE_TOKEN_URL"),
		"where that API's access tokens come from (KASSA_INVOICE_TOKEN_URL; default INVOICE_URL/oauth/token; Ledyer's: https://auth.sandbox.ledyer.com/oauth/token)")
	fs.StringVar(&c.invoice.ClientID, "invoice-client-id", getenv("KASSA_INVOICE_CLIENT_ID"), "API client of the invoice provider (KASSA_INVOICE_CLIENT_ID; its secret only from KASSA_INVOICE_CLIENT_SECRET)")
	fs.StringVar(&c.invoice.NotificationURL, "invoice-notification-url", getenv("KASSA_INVOICE_NOTIFICATION_URL"),
		"where that API sends the invoice provider's notifications (KASSA_INVOICE_NOTIFICATION_URL; default PUBLIC_URL/v1/payment-module/providers/pp_invoice_default/webhooks)")
	// A secret in a flag would show in the process list.
	c.invoice.Secret = getenv("KASSA_INVOICE_CLIENT_SECRET")
	c.invoice.NotificationSecret = getenv("KASSA_INVOICE_NOTIFICATION_SECRET")
	fs.StringVar(&c.smtpAddr, "smtp-addr", getenv("KASSA_SMTP_ADDR"), "SMTP server host:port for invoice e-mail; empty keeps mail queued, unsent (KASSA_SMTP_ADDR)")
	fs.StringVar(&c.smtp.Username, "smtp-user", getenv("KASSA_SMTP_USER"), "SMTP user; empty for none (KASSA_SMTP_USER)")
	c.smtp.Password = getenv("KASSA_SMTP_PASSWORD") // environment only: flags show in ps
	fs.StringVar(&c.smtp.TLS, "smtp-tls", or(getenv("KASSA_SMTP_TLS"), "starttls"), "starttls, opportunistic or none (KASSA_SMTP_TLS)")
	fs.BoolVar(&c.overdueReminders, "overdue-reminders", boolEnv("KASSA_OVERDUE_REMINDERS", true),
		"mark unpaid invoices overdue after their due date and e-mail one reminder (KASSA_OVERDUE_REMINDERS)")
	fs.StringVar(&c.smtp.From, "mail-from", getenv("KASSA_MAIL_FROM"), "From address of invoice e-mail (KASSA_MAIL_FROM)")
	rate := or(getenv("KASSA_MERCHANT_RATE"), strconv.FormatFloat(api.DefaultQuota.Rate, 'f', -1, 64))
	fs.StringVar(&rate, "merchant-rate", rate, "authenticated API requests a second each merchant may send on average, per replica (KASSA_MERCHANT_RATE)")
	burst := or(getenv("KASSA_MERCHANT_BURST"), strconv.Itoa(api.DefaultQuota.Burst))
	fs.StringVar(&burst, "merchant-burst", burst, "authenticated API requests each merchant may send at once, per replica (KASSA_MERCHANT_BURST)")
	certFile, keyFile := getenv("KASSA_TLS_CERT"), getenv("KASSA_TLS_KEY")
	fs.StringVar(&certFile, "tls-cert", certFile, "PEM file of the TLS certificate chain to serve HTTPS with, with --tls-key; neither: plain HTTP, for a reverse proxy that terminates TLS (KASSA_TLS_CERT)")
	fs.StringVar(&keyFile, "tls-key", keyFile, "PEM file of the TLS certificate's private key (KASSA_TLS_KEY)")
	proxies := getenv("KASSA_TRUSTED_PROXIES")
	fs.StringVar(&proxies, "trusted-proxies", proxies,
		"comma-separated addresses or CIDR prefixes of the reverse proxies whose X-Forwarded-For names the client's address; empty: none, the header is ignored (KASSA_TRUSTED_PROXIES)")
	c.kek = kekFlags(fs.FlagSet, getenv)
	c.obs.register(fs.FlagSet, getenv)
	credit := envCreditService(getenv)
	credit.register(fs.FlagSet)
	if err := fs.parse(args, stdout, 0); err != nil {
		return c, err
	}
	if err := errors.Join(envErr, c.db.check()); err != nil {
		return c, err
	}
	var err error
	if c.logLevel, err = c.obs.parse(); err != nil {
		return c, err
	}
	if c.limits, err = parseLimits(rate, burst, proxies); err != nil {
		return c, err
	}
	if c.creditService, err = credit.service(getenv); err != nil {
		return c, err
	}
	if c.invoice.BaseURL != "" && (c.invoice.ClientID == "" || c.invoice.Secret == "") {
		return c, errors.New("the invoice provider needs --invoice-client-id and KASSA_INVOICE_CLIENT_SECRET")
	}
	if c.invoice.NotificationSecret != "" {
		if err := notify.CheckSecret(c.invoice.NotificationSecret); err != nil {
			return c, fmt.Errorf("KASSA_INVOICE_NOTIFICATION_SECRET is not a Standard Webhooks secret (whsec_ and base64 of 24 to 64 bytes): %v", err)
		}
	}
	if c.smtpAddr != "" {
		host, port, err := net.SplitHostPort(c.smtpAddr)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || host == "" {
			return c, fmt.Errorf("smtp address %q is not host:port", c.smtpAddr)
		}
		c.smtp.Host, c.smtp.Port = host, n
		if c.smtp.From == "" {
			return c, fmt.Errorf("--mail-from (KASSA_MAIL_FROM) is required with --smtp-addr")
		}
		switch c.smtp.TLS {
		case "starttls", "opportunistic", "none":
		default:
			return c, fmt.Errorf("smtp TLS %q is none of starttls, opportunistic, none", c.smtp.TLS)
		}
	}
	d, err := time.ParseDuration(delay)
	if err != nil || d < 0 {
		return c, fmt.Errorf("processing delay %q is not a non-negative duration such as 30s", delay)
	}
	c.processingDelay = d
	if c.webhookTimeout, err = time.ParseDuration(timeout); err != nil || c.webhookTimeout <= 0 {
		return c, fmt.Errorf("webhook timeout %q is not a positive duration such as 15s", timeout)
	}
	if c.mode != "sandbox" && c.mode != "live" {
		return c, fmt.Errorf("mode %q is neither sandbox nor live", c.mode)
	}
	if c.mode == "live" && c.allowPrivateWebhooks {
		return c, errors.New("--allow-private-webhooks (KASSA_ALLOW_PRIVATE_WEBHOOKS) is for the sandbox only: live mode sends notifications to public addresses only; unset it or use --mode sandbox")
	}
	if c.tls, err = loadTLS(certFile, keyFile); err != nil {
		return c, err
	}
	if c.mode == "live" {
		if err := checkLivePublicURL(c.publicURL, c.tls != nil); err != nil {
			return c, err
		}
		if err := credit.checkLive(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// loadTLS is the TLS configuration of a server with the certificate chain
// and key in the PEM files certFile and keyFile, or nil when neither is
// given. It reads them at once, so that a start with a bad pair stops
// before anything is opened or created.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert (KASSA_TLS_CERT) and --tls-key (KASSA_TLS_KEY) go together: give both to serve HTTPS, or neither to serve plain HTTP behind a reverse proxy that terminates TLS")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("the TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// checkLivePublicURL holds live mode's public URL to https: links to it
// are e-mailed to buyers and signatories and given to shops. Without TLS
// of its own Kassa cannot make one up, so it must be given.
func checkLivePublicURL(publicURL string, ownTLS bool) error {
	if publicURL == "" {
		if ownTLS {
			return nil // https://ADDR
		}
		return errors.New("live mode needs --public-url (KASSA_PUBLIC_URL): the https URL at which buyers and shops reach Kassa through the reverse proxy that terminates TLS; or serve HTTPS with --tls-cert and --tls-key")
	}
	if u, err := url.Parse(publicURL); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("public URL %q is not an https URL such as https://pay.example.com: live mode's links must be https", publicURL)
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// parseLimits reads the abuse limits' flags.
func parseLimits(rate, burst, proxies string) (api.Limits, error) {
	var l api.Limits
	r, err := strconv.ParseFloat(rate, 64)
	if err != nil || !(r > 0) || math.IsInf(r, 0) {
		return l, fmt.Errorf("merchant rate %q is not a positive number of requests a second", rate)
	}
	b, err := strconv.Atoi(burst)
	if err != nil || b < 1 {
		return l, fmt.Errorf("merchant burst %q is not a whole number of requests, at least 1", burst)
	}
	l.Quota = limit.Quota{Rate: r, Burst: b}
	for p := range strings.SplitSeq(proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if a, aerr := netip.ParseAddr(p); err != nil && aerr == nil {
			a = a.Unmap().WithZone("")
			prefix, err = a.Prefix(a.BitLen())
		}
		if err != nil {
			return l, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR prefix such as 10.0.0.0/8", p)
		}
		l.TrustedProxies = append(l.TrustedProxies, prefix.Masked())
	}
	return l, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseServe(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := observe.NewLogger(stderr, c.logLevel)
	if p, ok := kassa.ServeGCPercent(getenv); ok {
		debug.SetGCPercent(p)
	}
	// What can fail without touching the disk fails first: a start that
	// fails leaves no data directory, database or key behind.
	if err := c.kek.check(log, c.mode == "sandbox"); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	mln, err := c.obs.listen()
	if err != nil {
		ln.Close()
		return err
	}
	if mln != nil {
		defer mln.Close() // should the server not start to serve it
	}
	db, err := c.db.open(ctx, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer db.Close()
	kek, kekFrom, generated, err := c.kek.load(ctx, log, db, c.db.dataDir)
	if err != nil {
		ln.Close()
		return err
	}
	base := "http://" + ln.Addr().String()
	if c.tls != nil {
		base = "https://" + ln.Addr().String()
	}
	if c.publicURL == "" {
		c.publicURL = base
	}
	sandbox := c.mode == "sandbox"
	var creds *credentials
	noMerchant := false
	if sandbox {
		creds, err = sandboxCredentials(ctx, db, c.db.dataDir)
	} else {
		noMerchant, err = liveStart(ctx, db, c.db.dataDir, log)
		if c.smtpAddr == "" {
			log.Warn("no SMTP server (--smtp-addr): invoices' e-mails and signatories' links and codes are queued, and sent once Kassa starts with one; until then no signatory can approve a purchase")
		}
	}
	if err != nil {
		ln.Close()
		return err
	}
	signer, err := provider.LoadSigner(ctx, db, kek)
	if err != nil {
		ln.Close()
		return err
	}
	notificationKey, err := provider.LoadNotificationKey(ctx, db, kek)
	if err != nil {
		ln.Close()
		return err
	}
	var dispatcher *webhook.Dispatcher // made once the provider it reports endpoints' health to is
	var providers paymod.Registry
	if c.invoice.BaseURL != "" {
		if c.invoice.NotificationURL == "" {
			c.invoice.NotificationURL = c.publicURL + "/v1/payment-module/providers/" + invoice.ProviderID + "/webhooks"
		}
		providers = paymod.Registry{invoice.ProviderID: invoice.New(c.invoice)}
		if c.invoice.NotificationSecret == "" {
			log.Warn("KASSA_INVOICE_NOTIFICATION_SECRET is not set: the invoice provider cannot verify its notifications and only syncs the sessions they name; " +
				"set it to the API's notification signing secret (Kassa: GET /v1/notification-signing-secret) if that API signs them")
		}
	}
	app := provider.New(log, provider.Config{
		Live:                 !sandbox,
		ProcessingDelay:      c.processingDelay,
		PublicURL:            c.publicURL,
		NotificationKey:      notificationKey,
		KEK:                  kek,
		AllowPrivateWebhooks: c.allowPrivateWebhooks,
		OnNotification:       func() { dispatcher.Wake() }, // called only once a transaction commits, after the dispatcher is made
		CreditService:        c.creditService,
		Version:              buildVersion(),
	}, db, kassa.SystemClock{}, kassa.RandomIDs{}, signer)
	dispatcher = webhook.New(log, db, kassa.SystemClock{}, notificationKey, webhook.Config{
		AllowPrivate: c.allowPrivateWebhooks,
		Timeout:      c.webhookTimeout,
		KEK:          kek,
		Endpoints:    app,
	})
	if _, err := app.RefreshClients(ctx); err != nil { // refuse revoked clients' tokens from the first request
		ln.Close()
		return err
	}
	pages := checkout.Config{Sandbox: sandbox}
	if creds != nil {
		pages.DemoMerchantID = creds.MerchantID // the demo shop sells for the sandbox merchant
	}
	metrics := observe.New()
	metrics.WatchStore(db, kassa.SystemClock{})
	// One payment module for the API and the dashboard.
	payments := paymod.New(log, app.Store(), paymod.WithSystem(providers), app.Clock(), app.IDs())
	srv := api.NewServer(log, api.Config{
		OverdueReminders: c.overdueReminders,
		Sandbox:          sandbox,
		Payments:         payments,
		Pages:            []api.Routes{checkout.New(log, pages, app), dashboard.New(log, dashboard.Config{PublicURL: c.publicURL, Payments: payments}, app)},
		Limits:           c.limits,
		Metrics:          metrics,
	}, app)
	metricsAddr := "" // none
	if mln != nil {
		metricsAddr = mln.Addr().String()
		ms := metricsServer(mln, metrics)
		defer ms.Shutdown(context.Background()) // a scrape ends within its timeouts
	}

	proxied := ""
	if c.tls == nil && !sandbox {
		proxied = ", plain HTTP: TLS is expected to be terminated by a reverse proxy in front, serving " + c.publicURL
	}
	fmt.Fprintf(stdout, "Kassa listening on %s (%s mode, %s%s)\n", base, c.mode, c.db.where(), proxied)
	if metricsAddr != "" {
		fmt.Fprintf(stdout, "Metrics at http://%s/metrics\n", metricsAddr)
	}
	if generated {
		fmt.Fprintf(stdout, "Generated the key-encryption key %s in %s: back it up apart from the database; without it the signing keys and webhook secrets in the database cannot be opened\n", kek.ID(), kekFrom)
	} else {
		fmt.Fprintf(stdout, "Secrets sealed under key-encryption key %s (from %s)\n", kek.ID(), kekFrom)
	}
	if pages.DemoMerchantID != "" {
		fmt.Fprintf(stdout, "Try the buyer's checkout in the demo shop: %s/demo/shop\n", c.publicURL)
	}
	if sandbox {
		printCredentials(stdout, base, creds)
		if err := printDashboardLink(ctx, stdout, app, creds); err != nil {
			ln.Close()
			return err
		}
	} else if noMerchant {
		fmt.Fprintf(stdout, "No merchant yet. Create the first one with the command below; it prints the API client's secret once, and Kassa keeps only its hash:\n  %s\n", c.db.merchantCreateCommand(c.kek))
	}

	// The read timeouts bound the TLS handshake too. The server's own
	// complaints (failed handshakes, say) go to the JSON log.
	hs := &http.Server{
		Handler:           srv,
		TLSConfig:         c.tls,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("kassa started", "version", buildVersion(), "mode", c.mode, "store", c.db.where(), "addr", ln.Addr().String(),
		"public_url", c.publicURL, "metrics_addr", metricsAddr)
	hs.RegisterOnShutdown(srv.EndStreams) // Shutdown waits for requests, and streams do not end by themselves
	var wg sync.WaitGroup
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	refresh := []jobs.Job{jobs.Clients(app, time.Second), jobs.SigningKeys(app, time.Second)}
	for _, j := range append(jobs.Provider(app, jobs.Config{Every: time.Second, OverdueReminders: c.overdueReminders}), refresh...) {
		wg.Go(func() { j.Run(bg, log, metrics) })
	}
	if c.smtpAddr != "" {
		sender := &mailer.Sender{Store: db, Clock: kassa.SystemClock{}, Log: log, SMTP: c.smtp, PublicURL: c.publicURL, KEK: kek}
		wg.Go(func() { sender.Run(bg, 5*time.Second) })
	}
	wg.Go(func() { dispatcher.Run(bg) }) // stopped after the HTTP server, finishing its attempts
	errc := make(chan error, 1)
	go func() {
		if c.tls != nil {
			errc <- hs.ServeTLS(ln, "", "") // the certificate is in TLSConfig
		} else {
			errc <- hs.Serve(ln)
		}
	}()

	var why []any // the signal, or the server's failure
	select {
	case err = <-errc:
		why = []any{"err", err}
	case <-ctx.Done():
		why = []any{"signal", stopping(ctx)}
	}
	log.Info("shutting down", why...)
	draining := time.Now()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if serr := hs.Shutdown(shutdown); err == nil {
		err = serr
	}
	cancel()
	stopBG()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("kassa stopped", append(why, "drained_ms", float64(time.Since(draining).Microseconds())/1000)...)
	return err
}

// credentials are a merchant's API credentials, as printed and saved.
type credentials struct {
	MerchantID   string `json:"merchantId"`
	StoreID      string `json:"storeId"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	File         string `json:"-"`
}

// credentialsFile keeps the sandbox merchant's credentials in the data
// directory.
const credentialsFile = "sandbox-credentials.json"

// sandboxCredentials creates a sandbox merchant on an empty database and
// keeps its credentials in the data directory, since the secret itself is
// stored only hashed; later starts read them back from there. Replicas
// starting together on one PostgreSQL database create one merchant: the
// check and the insert are one transaction, which locks the merchant count.
func sandboxCredentials(ctx context.Context, st store.Store, dataDir string) (*credentials, error) {
	ctx = provider.WithActor(ctx, provider.Actor{Name: audit.System("sandbox")})
	file := filepath.Join(dataDir, credentialsFile)
	m, cl, c, err := newMerchant("Sandbox merchant")
	if err != nil {
		return nil, err
	}
	created := false
	err = st.Update(ctx, func(tx store.Tx) error {
		n, err := tx.CountMerchants(ctx)
		if created = err == nil && n == 0; !created {
			return err
		}
		return insertMerchant(ctx, tx, m, cl)
	})
	if err != nil {
		return nil, err
	}
	if !created {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, nil // merchants made with `kassa merchant create` only
		}
		var c credentials
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		c.File = file
		return &c, nil
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	c.File = file
	return c, nil
}

// liveStart is live mode's start: it creates no merchant and reads no
// credentials file, and says whether the database has no merchant yet. A
// sandbox credentials file in the data directory is ignored, with a
// warning: its client works wherever its merchant's database does.
func liveStart(ctx context.Context, st store.Store, dataDir string, log *slog.Logger) (noMerchant bool, err error) {
	if file := filepath.Join(dataDir, credentialsFile); fileExists(file) {
		log.Warn("ignoring the sandbox credentials file in live mode; if its merchant is in this database, its client can still get access tokens: "+
			"run live mode on a database of its own, and delete the file", "file", file)
	}
	err = st.View(ctx, func(tx store.ReadTx) error {
		n, err := tx.CountMerchants(ctx)
		noMerchant = n == 0
		return err
	})
	return noMerchant, err
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// newMerchant makes a merchant with one API client, and the credentials
// to print; only the secret's hash is in the client.
func newMerchant(name string) (*merchant.Merchant, *merchant.Client, *credentials, error) {
	ids, now := kassa.RandomIDs{}, kassa.SystemClock{}.Now()
	m, err := merchant.NewMerchant(ids, now, name)
	if err != nil {
		return nil, nil, nil, err
	}
	cl, secret := merchant.NewClient(ids, now, m.ID)
	return m, cl, &credentials{MerchantID: m.ID, StoreID: m.StoreID, ClientID: cl.ID, ClientSecret: secret}, nil
}

// insertMerchant stores m and its client, and records it in the audit
// log, by the context's actor.
func insertMerchant(ctx context.Context, tx store.Tx, m *merchant.Merchant, cl *merchant.Client) error {
	if err := tx.CreateMerchant(ctx, m); err != nil {
		return err
	}
	if err := tx.CreateClient(ctx, cl); err != nil {
		return err
	}
	return provider.Record(ctx, tx, audit.Event{MerchantID: m.ID, Action: actionMerchantCreate, Target: m.ID, At: m.CreatedAt})
}

// actionMerchantCreate is the audit log's action of a merchant's creation.
const actionMerchantCreate = "merchant create"

func printCredentials(w io.Writer, base string, c *credentials) {
	if c == nil {
		fmt.Fprintln(w, "Create API credentials with: kassa merchant create --name NAME")
		return
	}
	fmt.Fprintf(w, `Sandbox credentials (kept in %s):
  client id:     %s
  client secret: %s
Get an access token:
  curl -s -u %s:%s -d grant_type=client_credentials %s/oauth/token
Or run a whole purchase against this server:
  go run ./cmd/kassa demo --url %s --client-id %s --client-secret %s
`, c.File, c.ClientID, c.ClientSecret, c.ClientID, c.ClientSecret, base, base, c.ClientID, c.ClientSecret)
}

// sandboxOwner is the address of the sandbox merchant's dashboard owner,
// whom the sandbox makes if the merchant has no owner.
const sandboxOwner = "owner@sandbox.kassa.test"

// printDashboardLink prints a one-time link that signs in to the sandbox
// merchant's dashboard as its owner, made at each start.
func printDashboardLink(ctx context.Context, w io.Writer, app *provider.Service, c *credentials) error {
	if c == nil {
		return nil
	}
	ctx = provider.WithActor(ctx, provider.Actor{Name: audit.System("sandbox")})
	link, err := app.SandboxOwnerLink(ctx, c.MerchantID, sandboxOwner)
	if err != nil {
		return fmt.Errorf("making the dashboard's sign-in link: %w", err)
	}
	_, err = fmt.Fprintf(w, "Sign in to the merchant dashboard as its owner (a one-time link, for 15 minutes):\n  %s\n", link)
	return err
}

// merchantCmd runs `kassa merchant create`.
func merchantCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "merchant", []verb{{"create", "create a merchant with one API client and print its credentials", merchantCreate}}, args, getenv, stdout, stderr)
}

func merchantCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx = provider.WithActor(ctx, provider.Actor{Name: audit.Operator})
	fs := newFlags("merchant create", "--name NAME [--email ADDRESS] [--data-dir DIR | --database URL] [--key-file FILE]",
		"Create a merchant with one API client, and print its merchantId, storeId, clientId and clientSecret as JSON; the secret is shown only here.")
	var db dbFlags
	db.register(fs.FlagSet, getenv)
	name := fs.String("name", "", "the merchant's name")
	email := fs.String("email", "", "the merchant's contact address, where Kassa writes to it (optional; PATCH /v1/merchant changes it)")
	kek := kekFlags(fs.FlagSet, getenv)
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := errors.Join(db.check(), kek.check(log, true)); err != nil {
		return err
	}
	st, err := db.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	app, err := commandApp(ctx, log, st, kek, db.dataDir, getenv)
	if err != nil {
		return err
	}
	m, cl, c, err := newMerchant(*name)
	if err == nil {
		m.Email, err = merchant.ParseEmail(*email)
	}
	if err == nil {
		err = app.Update(ctx, func(tx store.Tx) error { return insertMerchant(ctx, tx, m, cl) })
	}
	if err != nil {
		app.AuditAlone(ctx, audit.Event{Action: actionMerchantCreate, Outcome: kassa.ErrorCode(err)})
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

// dbFlags choose the store: PostgreSQL when a database URL is given, else
// SQLite in the data directory.
type dbFlags struct{ dataDir, url string }

func (d *dbFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&d.dataDir, "data-dir", or(getenv("KASSA_DATA_DIR"), "./kassa-data"), "directory of the SQLite database and local files (KASSA_DATA_DIR)")
	fs.StringVar(&d.url, "database", getenv("KASSA_DATABASE_URL"), "PostgreSQL only: its URL, postgres://user@host:5432/db, or key=value connection string; empty for the embedded SQLite database in --data-dir (KASSA_DATABASE_URL)")
}

// check refuses a database that is not PostgreSQL's, before anything is
// opened: a file path or another database's URL would otherwise fail as
// a PostgreSQL connection string.
func (d *dbFlags) check() error {
	if d.url == "" {
		return nil
	}
	u, err := url.Parse(d.url)
	switch {
	case err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql"):
		return nil
	case (err != nil || u.Scheme == "") && strings.Contains(d.url, "="): // host=… dbname=…
		return nil
	}
	r, _ := redactDatabase(d.url)
	return fmt.Errorf("--database (KASSA_DATABASE_URL) takes PostgreSQL only: a postgres://user@host:5432/db URL or a key=value connection string, not %q; "+
		"for the embedded SQLite database give no --database, and its directory with --data-dir", r)
}

// open opens the store. With SQLite, it warns on log about data in the
// data directory that group or others can access: the database holds
// token signing keys, the sandbox credentials a client secret. It creates
// the directory and the database for the owner alone, but leaves existing
// ones as they are, and removes a directory it created when the database
// does not open.
func (d *dbFlags) open(ctx context.Context, log *slog.Logger) (store.Store, error) {
	if d.url != "" {
		return postgres.Open(ctx, d.url)
	}
	db := filepath.Join(d.dataDir, "kassa.db")
	warnShared(log, d.dataDir, filepath.Join(d.dataDir, credentialsFile), filepath.Join(d.dataDir, keyFile), db, db+"-wal", db+"-shm")
	existed := fileExists(d.dataDir)
	if err := os.MkdirAll(d.dataDir, 0o700); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(db)
	if err != nil && !existed {
		os.Remove(d.dataDir) // only if empty: sqlite.Open removes a database it created
	}
	return st, err
}

// warnShared logs a warning for each of paths that exists and that group
// or others may access.
func warnShared(log *slog.Logger, paths ...string) {
	if runtime.GOOS == "windows" { // no owner, group and other bits to read
		return
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if mode := fi.Mode().Perm(); mode&0o077 != 0 {
			log.Warn("other local users can access Kassa's data, which holds signing keys; restrict it to the owner", "path", p, "mode", mode.String(), "fix", "chmod go-rwx "+p)
		}
	}
}

// where says where the data is, for the start-up line, without the
// database's passwords.
func (d *dbFlags) where() string {
	if d.url == "" {
		return "SQLite in " + d.dataDir
	}
	if u, err := url.Parse(d.url); err == nil && u.Scheme != "" {
		r, _ := redactDatabase(d.url)
		return "PostgreSQL at " + r
	}
	return "PostgreSQL"
}

// merchantCreateCommand is the `kassa merchant create` command line that
// creates a merchant in this database, for an operator to run, with the
// key-encryption key the server was given (keys: the file's name, or a
// note for a key from the environment). It prints no password or key: a
// database's password stands redacted, with a note to put it back.
func (d *dbFlags) merchantCreateCommand(keys *keyFlags) string {
	line, note := "kassa merchant create --name NAME ", ""
	if d.url == "" {
		dir, err := filepath.Abs(d.dataDir) // the same directory from wherever it runs
		if err != nil {
			dir = d.dataDir
		}
		line += "--data-dir " + shellQuote(dir)
	} else {
		r, redacted := redactDatabase(d.url)
		line += "--database " + shellQuote(r)
		if redacted {
			note = "\n  (with the database password where " + passwordMark + " stands)"
		}
	}
	switch {
	case keys == nil:
	case keys.file != "":
		file, err := filepath.Abs(keys.file)
		if err != nil {
			file = keys.file
		}
		line += " --" + keys.flag + " " + shellQuote(file)
	case keys.key != "":
		note += "\n  (with " + keys.keyEnv + " set as for this server)"
	}
	return line + note
}

// passwordMark stands for a password left out (url.URL.Redacted's).
const passwordMark = "xxxxx"

// dsnPassword is a password in a key/value connection string, quoted or not.
var dsnPassword = regexp.MustCompile(`\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// redactDatabase is a PostgreSQL URL or key/value connection string with
// its passwords (the user's, and password and sslpassword parameters)
// replaced by passwordMark, and whether it had any.
func redactDatabase(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		r := dsnPassword.ReplaceAllString(raw, "${1}"+passwordMark)
		return r, r != raw
	}
	redacted := false
	if _, ok := u.User.Password(); ok {
		u.User, redacted = url.UserPassword(u.User.Username(), passwordMark), true
	}
	q := u.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, passwordMark)
			redacted = true
		}
	}
	if redacted {
		u.RawQuery = q.Encode()
	}
	return u.String(), redacted
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@%+,=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// migrate brings the database schema up to date and says what it did.
func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "[--data-dir DIR | --database URL]",
		"Bring the database schema up to date (kassa serve also does, at start); a schema newer than this kassa is refused.")
	var db dbFlags
	db.register(fs.FlagSet, getenv)
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	if err := db.check(); err != nil {
		return err
	}
	if db.url == "" {
		// SQLite migrates on open; there is no other process to race.
		st, err := db.open(ctx, slog.New(slog.NewTextHandler(stderr, nil)))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "schema up to date (%s)\n", db.where())
		return st.Close()
	}
	applied, err := postgres.Migrate(ctx, db.url)
	if err != nil {
		return err
	}
	for _, name := range applied {
		fmt.Fprintf(stdout, "applied %s\n", name)
	}
	_, err = fmt.Fprintf(stdout, "schema up to date (%s)\n", db.where())
	return err
}
