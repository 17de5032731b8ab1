package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/order"
	"github.com/kassa-pay/kassa/postgres"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/store"
)

// testVersion is the version kassaBinary's build is given.
const testVersion = "v0.0.0-test"

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// kassaBinary builds the kassa command once for the test run, as the
// Dockerfile does: without cgo, and naming its version (testVersion).
func kassaBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kassa-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "kassa")
		build := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", binary, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// process is a running `kassa serve`.
type process struct {
	cmd  *exec.Cmd
	base string
}

// startProcess runs the kassa binary with args and waits until it says
// where it listens.
func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(kassaBinary(t), args...)
	cmd.Env = append(os.Environ(), "KASSA_DATABASE_URL=", "KASSA_DATA_DIR=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd}
	t.Cleanup(func() { p.stop(t) })
	listening := regexp.MustCompile(`Kassa listening on (http://\S+)`)
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			p.base = m[1]
			break
		}
	}
	if p.base == "" {
		t.Fatalf("kassa %v printed no address; stderr:\n%s", args, stderr.String())
	}
	go func() { // keep draining, so the process never blocks on stdout
		for lines.Scan() {
		}
	}()
	return p
}

// stop ends the process as an operator would (SIGTERM) and waits.
func (p *process) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-done
		t.Errorf("kassa did not stop on SIGTERM")
	}
}

// TestReplicaProcesses runs two `kassa serve` processes on one PostgreSQL
// database and hammers both with conflicting operations on the same
// orders, retrying every Idempotency-Key on the other process. Afterwards
// every order keeps its invariants, every retry of a request that
// succeeded got its original answer byte for byte, and every notification
// of a committed change is delivered once the dispatchers drain.
func TestReplicaProcesses(t *testing.T) {
	url := pgtest.URL(t)
	keyFile := newKeyFile(t) // every process on the database has its key
	var out bytes.Buffer
	if err := run(t.Context(), []string{"kassa", "merchant", "create", "--database", url, "--key-file", keyFile, "--name", "Replicated AB"}, noenv, nil, &out, &out); err != nil {
		t.Fatalf("merchant create: %v\n%s", err, out.String())
	}
	var creds credentials
	if err := json.Unmarshal(out.Bytes(), &creds); err != nil {
		t.Fatal(err)
	}
	var cs [2]*client.Client
	for i := range cs {
		p := startProcess(t, "serve", "--addr", "127.0.0.1:0", "--database", url, "--data-dir", t.TempDir(), "--key-file", keyFile,
			"--allow-private-webhooks", "--webhook-timeout", "2s")
		cs[i] = client.New(p.base, creds.ClientID, creds.ClientSecret)
	}
	ctx := t.Context()

	// Every notification goes to a receiver that keeps the distinct
	// notification IDs (webhook-id) it got.
	var (
		rmu      sync.Mutex
		received = map[string]bool{}
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rmu.Lock()
		received[r.Header.Get("webhook-id")] = true
		rmu.Unlock()
	}))
	defer rcv.Close()
	if _, err := cs[0].Do(ctx, "POST", "/v1/notification-endpoints", map[string]any{"url": rcv.URL}, nil, ""); err != nil {
		t.Fatal(err)
	}

	const orders, workers, duration = 12, 8, 3 * time.Second
	ids := make([]string, orders)
	for i := range ids {
		id, err := cs[i%2].PlaceOrder(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}

	half := map[string]any{
		"orderLines": []any{map[string]any{
			"type": "physical", "reference": "SKU-1", "description": "Office chair",
			"quantity": 1, "vat": 2500, "unitPrice": 250000, "totalAmount": 250000, "totalVatAmount": 50000,
		}},
	}
	withTotal := func(m map[string]any, k string, v int64) map[string]any {
		n := map[string]any{k: v}
		for k, v := range m {
			n[k] = v
		}
		return n
	}
	var (
		mu      sync.Mutex
		answers = map[string]json.RawMessage{} // key → first 2xx answer
		stats   = map[string]int{}
	)
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for n := 0; time.Now().Before(deadline); n++ {
				id := ids[r.IntN(len(ids))]
				base := "/v1/orders/" + id
				var o client.Order
				if _, err := cs[r.IntN(2)].Do(ctx, "GET", base, nil, &o, ""); err != nil {
					t.Errorf("get %s: %v", id, err)
					return
				}
				// Cancels are rare, so most orders live long enough to be
				// captured in parts and refunded.
				var op, method, path string
				var body any
				switch n := r.IntN(12); {
				case n < 3:
					op, method, path, body = "capture", "POST", base+"/capture", client.SampleCapture
				case n < 6:
					op, method, path, body = "partialcapture", "POST", base+"/partialcapture", withTotal(half, "totalCaptureAmount", 250000)
				case n < 7:
					op, method, path = "cancel", "DELETE", base
				case n < 8:
					op, method, path = "acknowledge", "POST", base+"/acknowledge"
				case len(o.Captured) > 0:
					ledger := o.Captured[r.IntN(len(o.Captured))].LedgerID
					op, method, path, body = "partialrefund", "POST", base+"/partialrefund/"+ledger, withTotal(half, "totalRefundAmount", 250000)
				default:
					continue
				}
				key := fmt.Sprintf("w%d-%d", w, n)
				first := r.IntN(2)
				for attempt, replica := range []int{first, 1 - first, first} {
					var raw json.RawMessage
					status, err := cs[replica].Do(ctx, method, path, body, &raw, key)
					var apiErr *client.Error
					switch {
					case err == nil:
						mu.Lock()
						if prev, ok := answers[key]; ok && !bytes.Equal(prev, raw) {
							t.Errorf("%s %s key %s: retry answered differently:\n%s\n%s", method, path, key, prev, raw)
						} else if !ok {
							answers[key] = raw
							stats[op]++
						}
						mu.Unlock()
					case errors.As(err, &apiErr) && status >= 400 && status < 500:
						mu.Lock()
						if _, ok := answers[key]; ok && status != 409 {
							t.Errorf("%s %s key %s: attempt %d = %d after a success, want the stored answer", method, path, key, attempt, status)
						}
						stats[fmt.Sprintf("%s %d", op, status)]++
						mu.Unlock()
					default:
						t.Errorf("%s %s: %d %v", method, path, status, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("outcomes: %v", stats)

	// Once the dispatchers of both processes have drained the outbox,
	// every order event that notifies has reached the receiver.
	waitForDeliveries(t, func(path string, v any) {
		if _, err := cs[1].Do(ctx, "GET", path, nil, v, ""); err != nil {
			t.Fatal(err)
		}
	})

	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range ids {
		var o *order.Order
		if err := db.View(ctx, func(tx store.ReadTx) error {
			var err error
			o, err = tx.Order(ctx, creds.MerchantID, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := o.Check(); err != nil {
			t.Errorf("order %s breaks an invariant: %v", id, err)
		}
		for _, m := range notify.ForOrder(o, o.Events, nil) {
			rmu.Lock()
			got := received[m.ID]
			rmu.Unlock()
			if !got {
				t.Errorf("order %s: notification %s (%s) was not delivered", id, m.ID, m.Type)
			}
		}
	}
}
