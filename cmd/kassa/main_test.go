package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/seal"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
)

// syncBuffer is a bytes.Buffer safe to write from the server goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noenv(string) string { return "" }

// startServe runs `kassa serve` and returns its base URL once it answers.
func startServe(t *testing.T, dataDir string) (base string, out *syncBuffer, stop func()) {
	t.Helper()
	return startServeWith(t, dataDir, noenv)
}

// startServeWith is startServe with an environment and more flags.
func startServeWith(t *testing.T, dataDir string, getenv func(string) string, flags ...string) (base string, out *syncBuffer, stop func()) {
	t.Helper()
	return startServeLogged(t, dataDir, getenv, &syncBuffer{}, flags...)
}

// sandboxCreds finds the sandbox merchant's client ID and secret (creds[1]
// and creds[2]) in what serve printed.
func sandboxCreds(t *testing.T, out fmt.Stringer) []string {
	t.Helper()
	creds := regexp.MustCompile(`client id:\s+(\S+)\s+client secret:\s+(\S+)`).FindStringSubmatch(out.String())
	if creds == nil {
		t.Fatalf("serve printed no sandbox credentials:\n%s", out)
	}
	return creds
}

// startServeLogged is startServeWith writing its log to stderr.
func startServeLogged(t *testing.T, dataDir string, getenv func(string) string, stderr *syncBuffer, flags ...string) (base string, out *syncBuffer, stop func()) {
	t.Helper()
	return startServeOver(t, http.DefaultClient, dataDir, getenv, stderr, flags...)
}

// startServeOver is startServeLogged asking whether it answers with
// client: one that trusts its certificate when it serves HTTPS.
func startServeOver(t *testing.T, client *http.Client, dataDir string, getenv func(string) string, stderr *syncBuffer, flags ...string) (base string, out *syncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"kassa", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, flags...), getenv, nil, out, stderr)
	}()
	listening := regexp.MustCompile(`Kassa listening on (https?://\S+)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, out)
		default:
		}
	}
	if base == "" {
		t.Fatalf("serve printed no address:\n%s", out)
	}
	resp, err := client.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	return base, out, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	}
}

func TestServeThenDemo(t *testing.T) {
	dir := t.TempDir()
	base, out, stop := startServe(t, dir)
	creds := sandboxCreds(t, out)
	var demoOut bytes.Buffer
	if err := run(context.Background(), []string{"kassa", "demo", "--url", base, "--client-id", creds[1], "--client-secret", creds[2]}, noenv, nil, &demoOut, &demoOut); err != nil {
		t.Fatalf("demo: %v\n%s", err, demoOut.String())
	}
	got := demoOut.String()
	for _, want := range []string{"status [fullyCaptured partiallyRefunded]", "create", "authorize", "readyForCapture", "acknowledge", "fullCapture", "partialRefund", "SEK 2,500.00"} {
		if !strings.Contains(got, want) {
			t.Errorf("demo output lacks %q:\n%s", want, got)
		}
	}

	// The load tool against the same server: purchases complete and each
	// operation is reported.
	var loadOut bytes.Buffer
	if err := run(context.Background(), []string{"kassa", "load", "--url", base, "--client-id", creds[1], "--client-secret", creds[2], "--concurrency", "2", "--flows", "4", "--duration", "1m"}, noenv, nil, &loadOut, &loadOut); err != nil {
		t.Fatalf("load: %v\n%s", err, loadOut.String())
	}
	for _, want := range []string{"4 flows in", "0 failed", "capture", "partialrefund", "p99 ms"} {
		if !strings.Contains(loadOut.String(), want) {
			t.Errorf("load output lacks %q:\n%s", want, loadOut.String())
		}
	}
	stop()

	// A restart on the same data keeps the merchant and shows where its
	// credentials are, rather than creating another.
	_, out2, stop2 := startServe(t, dir)
	defer stop2()
	if !strings.Contains(out2.String(), creds[1]) {
		t.Errorf("restart does not show the existing sandbox client %s:\n%s", creds[1], out2)
	}
}

func TestDemoInProcess(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"kassa", "demo"}, noenv, nil, &out, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "partialRefund") {
		t.Errorf("in-process demo output lacks the refund:\n%s", out.String())
	}
}

func TestMerchantCreate(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"kassa", "merchant", "create", "--data-dir", dir, "--name", "Acme AB"}, noenv, nil, &out, t.Output()); err != nil {
		t.Fatalf("merchant create: %v\n%s", err, out.String())
	}
	var c map[string]string
	if err := json.Unmarshal(out.Bytes(), &c); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"merchantId", "storeId", "clientId", "clientSecret"} {
		if c[k] == "" {
			t.Errorf("output lacks %s: %s", k, out.String())
		}
	}
	if err := run(context.Background(), []string{"kassa", "merchant", "create", "--data-dir", dir}, noenv, nil, &out, &out); err == nil {
		t.Error("merchant create without a name succeeded")
	}

	// With a contact address; one that is not an address creates nothing.
	out.Reset()
	if err := run(context.Background(), []string{"kassa", "merchant", "create", "--data-dir", dir, "--name", "Beta AB", "--email", "finance@beta.example"}, noenv, nil, &out, t.Output()); err != nil {
		t.Fatalf("merchant create --email: %v\n%s", err, out.String())
	}
	if err := json.Unmarshal(out.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"kassa", "merchant", "create", "--data-dir", dir, "--name", "Gamma AB", "--email", "finance"}, noenv, nil, &out, &out); err == nil {
		t.Error("merchant create with an email that is not one succeeded")
	}
	db, err := sqlite.Open(filepath.Join(dir, "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(t.Context(), func(tx store.ReadTx) error {
		m, err := tx.Merchant(t.Context(), c["merchantId"])
		if err != nil {
			return err
		}
		if m.Email != "finance@beta.example" {
			t.Errorf("merchant %+v, want its email", m)
		}
		if n, err := tx.CountMerchants(t.Context()); err != nil || n != 2 {
			t.Errorf("%d merchants (%v), want 2: the one with a bad email is not created", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"kassa", "bogus"},
		{"kassa", "serve", "--mode", "production"},
		{"kassa", "serve", "--processing-delay", "soon"},
		{"kassa", "serve", "--invoice-url", "http://127.0.0.1:1"}, // no client credentials
		{"kassa", "merchant"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, noenv, nil, &out, &out); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

// createMerchant runs kassa merchant create in dir and returns what it
// prints: merchantId, storeId, clientId, clientSecret.
func createMerchant(t *testing.T, dir string) map[string]string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"kassa", "merchant", "create", "--data-dir", dir, "--name", "Acme AB"}, noenv, nil, &out, t.Output()); err != nil {
		t.Fatalf("merchant create: %v\n%s", err, out.String())
	}
	var c map[string]string
	if err := json.Unmarshal(out.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// camt054 is a bank's notification of one booked credit of amount (in
// major units, as the file writes it) with payment reference ref, followed
// by the entries given.
func camt054(amount, ref, entries string) string {
	return `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><Ntfctn>
		<Acct><Id><IBAN>SE4550000000058398257466</IBAN></Id></Acct><Ntry>
		<Amt Ccy="SEK">` + amount + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-05</Dt></BookgDt>
		<NtryDtls><TxDtls><Refs><AcctSvcrRef>X-1</AcctSvcrRef></Refs><RmtInf><Ustrd>` + ref + `</Ustrd></RmtInf></TxDtls></NtryDtls>
		</Ntry>` + entries + `</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`
}

func TestPaymentsImport(t *testing.T) {
	dir := t.TempDir()
	c := createMerchant(t, dir)
	var out bytes.Buffer
	file := filepath.Join(dir, "camt054.xml")
	xml := camt054("12.00", "1234574", `<Ntry>
		<Amt Ccy="SEK">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-05</Dt></BookgDt><AcctSvcrRef>X-2</AcctSvcrRef>
		</Ntry>`)
	if err := os.WriteFile(file, []byte(xml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"unmatched", "duplicate"} {
		out.Reset()
		if err := run(context.Background(), []string{"kassa", "payments", "import", "--data-dir", dir, "--merchant", c["merchantId"], file}, noenv, nil, &out, t.Output()); err != nil {
			t.Fatalf("payments import: %v\n%s", err, out.String())
		}
		var r struct {
			Payments []struct{ Outcome string }
			Skipped  []struct{ Location, BankReference, Reason string }
		}
		if err := json.Unmarshal(out.Bytes(), &r); err != nil || len(r.Payments) != 1 || r.Payments[0].Outcome != want {
			t.Errorf("import output %s (%v), want one %s payment", out.String(), err, want)
		}
		if len(r.Skipped) != 1 || r.Skipped[0].Location != "Ntfctn[1]/Ntry[2]" || r.Skipped[0].BankReference != "X-2" || r.Skipped[0].Reason != "debit" {
			t.Errorf("import output %s, want the debit X-2 skipped", out.String())
		}
	}
	if err := os.WriteFile(file, []byte("<Document"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"kassa", "payments", "import", "--data-dir", dir, "--merchant", c["merchantId"], file}, noenv, nil, &out, &out); err == nil {
		t.Error("importing a malformed file succeeded")
	}
}

// TestServeInvoiceProvider: configured, the payment module's invoice
// provider is offered next to the system provider, and with a
// notification secret it refuses unsigned notifications. A secret that
// is not a Standard Webhooks secret stops serve from starting.
func TestServeInvoiceProvider(t *testing.T) {
	bad := map[string]string{"KASSA_INVOICE_CLIENT_SECRET": "secret", "KASSA_INVOICE_NOTIFICATION_SECRET": "hunter2"}
	var errOut bytes.Buffer
	if err := run(context.Background(), []string{"kassa", "serve", "--invoice-url", "http://127.0.0.1:1", "--invoice-client-id", "cl_x"},
		func(k string) string { return bad[k] }, nil, &errOut, &errOut); err == nil || !strings.Contains(err.Error(), "KASSA_INVOICE_NOTIFICATION_SECRET") {
		t.Errorf("serve with a malformed notification secret = %v", err)
	}
	env := map[string]string{"KASSA_INVOICE_CLIENT_SECRET": "secret", "KASSA_INVOICE_NOTIFICATION_SECRET": notify.NewSecret([24]byte{1})}
	base, out, stop := startServeWith(t, t.TempDir(), func(k string) string { return env[k] },
		"--invoice-url", "http://127.0.0.1:1", "--invoice-client-id", "cl_x")
	defer stop()
	creds := sandboxCreds(t, out)
	var providers json.RawMessage
	if _, err := client.New(base, creds[1], creds[2]).Do(context.Background(), "GET", "/v1/payment-module/providers", nil, &providers, ""); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"pp_system_default", "pp_invoice_default"} {
		if !strings.Contains(string(providers), id) {
			t.Errorf("providers %s lack %s", providers, id)
		}
	}
	resp, err := http.Post(base+"/v1/payment-module/providers/pp_invoice_default/webhooks", "application/json",
		strings.NewReader(`{"eventType":"com.ledyer.authorization.create","sessionId":"ps_1","authorizationToken":"at_forged"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned notification = %d, want 401", resp.StatusCode)
	}
}

// TestPaymentsImportNotifies: an order the command line's import marks
// paid notifies the merchant's endpoints like one the API marks paid, for
// the running server's dispatcher to deliver.
func TestPaymentsImportNotifies(t *testing.T) {
	dir := t.TempDir()
	merchantID := createMerchant(t, dir)["merchantId"]
	// An invoiced order, as the server would have made it.
	ctx := t.Context()
	var app *provider.Service
	withDB := func(f func(st store.Store)) {
		st, err := (&dbFlags{dataDir: dir}).open(ctx, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if app, err = commandApp(ctx, slog.New(slog.DiscardHandler), st, &keyFlags{}, dir, noenv); err != nil {
			t.Fatal(err)
		}
		f(st)
	}
	var o *order.Order
	var ref string
	withDB(func(st store.Store) {
		if err := app.Update(ctx, func(tx store.Tx) error {
			_, err := app.CreateEndpoint(ctx, tx, merchantID, "https://erp.example/hooks", []string{notify.OrderPaid})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		o = kassatest.Purchase(t, app, merchantID, nil)
		kassatest.Capture(t, app, o)
		docs, err := provider.View(ctx, app, func(tx store.ReadTx) ([]*invoice.Document, error) {
			return tx.OrderDocuments(ctx, merchantID, o.ID)
		})
		if err != nil || len(docs) != 1 {
			t.Fatalf("documents %v, %v; want the invoice", docs, err)
		}
		ref = docs[0].PaymentReference
	})
	file := filepath.Join(dir, "camt054.xml")
	if err := os.WriteFile(file, []byte(camt054("100.00", ref, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"kassa", "payments", "import", "--data-dir", dir, "--merchant", merchantID, file}, noenv, nil, &out, t.Output()); err != nil {
		t.Fatalf("payments import: %v\n%s", err, out.String())
	}
	var r struct {
		Payments []struct {
			Outcome   string
			OrderPaid bool
		}
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || len(r.Payments) != 1 || r.Payments[0].Outcome != "matched" || !r.Payments[0].OrderPaid {
		t.Fatalf("import output %s (%v), want one matched payment that paid the order", out.String(), err)
	}
	withDB(func(st store.Store) {
		ns, err := provider.View(ctx, app, func(tx store.ReadTx) ([]notify.Notification, error) {
			return tx.Notifications(ctx, merchantID, store.NotificationFilter{OrderID: o.ID, Limit: 10})
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) == 0 || ns[0].Type != notify.OrderPaid {
			t.Errorf("the order's latest notification is not %s: %+v", notify.OrderPaid, ns)
		}
	})
}

// kassa serve's sandbox merchant is recorded as made by system:sandbox.
func TestSandboxMerchantAudit(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := sandboxCredentials(t.Context(), db, dir)
	if err != nil {
		t.Fatal(err)
	}
	if es := auditLog(t, db, c.MerchantID); len(es) != 1 || es[0].Actor != "system:sandbox" || es[0].Action != "merchant create" || es[0].Target != c.MerchantID {
		t.Errorf("audit log %+v, want the sandbox merchant's creation", es)
	}
}

// auditLog is the merchant's audit log in db, newest first.
func auditLog(t *testing.T, db store.Store, merchantID string) []audit.Event {
	t.Helper()
	var es []audit.Event
	err := db.View(t.Context(), func(tx store.ReadTx) (err error) {
		es, err = tx.AuditEvents(t.Context(), merchantID, store.AuditFilter{Limit: 10})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// The command line's changes are recorded in the audit log by the
// operator: a merchant's creation, an import, an import refused and an API
// client's creation; reads (listing API clients, showing the credit
// policy) are not.
func TestCommandsAudit(t *testing.T) {
	dir := t.TempDir()
	c := createMerchant(t, dir)
	file := filepath.Join(dir, "camt054.xml")
	import_ := func(xml string) error {
		if err := os.WriteFile(file, []byte(xml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		return run(context.Background(), []string{"kassa", "payments", "import", "--data-dir", dir, "--merchant", c["merchantId"], file}, noenv, nil, &out, t.Output())
	}
	if err := import_(camt054("12.00", "1234574", "")); err != nil {
		t.Fatal(err)
	}
	if err := import_("<Document"); err == nil {
		t.Fatal("importing a malformed file succeeded")
	}
	var out bytes.Buffer
	for _, args := range [][]string{
		{"apikey", "create", "--name", "reports", "--scope", "read"},
		{"apikey", "list"},
		{"credit-policy", "get"},
	} {
		args = append(append([]string{"kassa"}, args...), "--data-dir", dir, "--merchant", c["merchantId"])
		if err := run(context.Background(), args, noenv, nil, &out, t.Output()); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
	}
	if err := run(context.Background(), []string{"kassa", "merchant", "create", "--data-dir", dir}, noenv, nil, &out, &out); err == nil {
		t.Fatal("merchant create without a name succeeded")
	}
	db, err := sqlite.Open(filepath.Join(dir, "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got [][4]string
	for _, e := range slices.Backward(auditLog(t, db, c["merchantId"])) {
		got = append(got, [4]string{e.Actor, e.Action, e.Target, e.Outcome})
	}
	want := [][4]string{
		{"operator", "merchant create", c["merchantId"], "ok"},
		{"operator", "payments import", "", "ok"},
		{"operator", "payments import", "", "invalid_request"},
		{"operator", "apikey create", "", "ok"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	// A merchant not created belongs to no merchant.
	if es := auditLog(t, db, ""); len(es) != 1 || es[0].Actor != "operator" || es[0].Action != "merchant create" || es[0].Outcome != "invalid_request" {
		t.Errorf("refused merchant creation's events %+v", es)
	}
}

// newKeyFile writes a new key-encryption key to a file of its own, for
// the processes of a test to share.
func newKeyFile(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "kassa.key")
	if err := os.WriteFile(file, []byte(seal.Encode(seal.Generate())), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
