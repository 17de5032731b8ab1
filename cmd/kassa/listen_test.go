package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/load"
)

// delivery is a request the local receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// TestListen: kassa listen follows a running Kassa's notifications and
// forwards each to a loopback receiver, signed with the secret it printed
// (which the client's VerifyWebhook accepts), printing a line per
// delivery with the receiver's status; the server shuts down cleanly
// while it listens, and listen ends with its context.
func TestListen(t *testing.T) {
	base, out, stopServe := startServe(t, t.TempDir())
	creds := sandboxCreds(t, out)
	got := make(chan delivery, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), body}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer rcv.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	printed := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"kassa", "listen", "--url", base, "--client-id", creds[1], "--client-secret", creds[2], "--forward-to", rcv.URL + "/hooks"}, noenv, nil, printed, printed)
	}()
	secretLine := regexp.MustCompile(`signing secret is (whsec_\S+)`)
	var secret string
	for deadline := time.Now().Add(10 * time.Second); secret == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := secretLine.FindStringSubmatch(printed.String()); m != nil {
			secret = m[1]
		}
	}
	if secret == "" || !strings.Contains(printed.String(), "Ready!") {
		t.Fatalf("listen printed no secret:\n%s", printed)
	}

	if _, err := load.PlaceOrder(t.Context(), client.New(base, creds[1], creds[2])); err != nil {
		t.Fatal(err)
	}
	var types []string
	for range 3 { // authorization.create, order.create, ready_for_capture
		select {
		case d := <-got:
			if err := client.VerifyWebhook(secret, d.header, d.body, 0); err != nil {
				t.Errorf("the receiver cannot verify %s: %v", d.body, err)
			}
			id := d.header.Get("webhook-id")
			line := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  (\S+)\s+` + regexp.QuoteMeta(id) + `  \[202\]$`)
			for deadline := time.Now().Add(5 * time.Second); line.FindString(printed.String()) == "" && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			m := line.FindStringSubmatch(printed.String())
			if m == nil || !strings.Contains(string(d.body), `"eventType":"`+m[1]+`"`) {
				t.Errorf("no line for %s %s:\n%s", id, d.body, printed)
				continue
			}
			types = append(types, m[1])
		case <-time.After(10 * time.Second):
			t.Fatalf("nothing forwarded within 10 seconds:\n%s", printed)
		}
	}
	slices.Sort(types) // one transaction's notifications come in the order of their IDs
	if want := "com.ledyer.authorization.create com.ledyer.order.create com.ledyer.order.ready_for_capture"; strings.Join(types, " ") != want {
		t.Errorf("forwarded %v, want %s", types, want)
	}

	start := time.Now()
	stopServe() // fails the test if the open stream kept the server from shutting down
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("serve took %s to shut down with a stream open", d)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("listen = %v, want nil once interrupted", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("listen did not end with its context")
	}
}

// TestListenFlags: listen refuses to start without what it needs.
func TestListenFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--forward-to", "http://127.0.0.1:1/hooks"},
		{"--client-id", "cl_1", "--client-secret", "s"},
		{"--client-id", "cl_1", "--client-secret", "s", "--forward-to", "localhost:3000"},
		{"--client-id", "cl_1", "--client-secret", "s", "--forward-to", "http://127.0.0.1:1/hooks", "--secret", "whsec_short"},
	} {
		if err := run(t.Context(), append([]string{"kassa", "listen"}, args...), noenv, nil, io.Discard, io.Discard); err == nil {
			t.Errorf("listen %v started", args)
		}
	}
}
