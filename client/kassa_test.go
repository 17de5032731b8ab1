package client_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/checkout"
	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/jobs"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/load"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/webhook"
)

// kassaServer is a real Kassa in the sandbox on a loopback port, over a
// fresh SQLite database with one merchant, delivering its notifications
// and numbering its documents as kassa serve does.
type kassaServer struct {
	URL, ClientID, Secret, MerchantID string
	api                               *api.Server
	close                             func()
}

// startKassa starts a Kassa whose database is in dir.
func startKassa(dir string) (*kassaServer, error) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(dir, "kassa.db"))
	if err != nil {
		return nil, err
	}
	ids, now := kassa.RandomIDs{}, time.Now()
	m, err := merchant.NewMerchant(ids, now, "Example AB")
	if err != nil {
		return nil, err
	}
	cl, secret := merchant.NewClient(ids, now, m.ID)
	err = db.Update(ctx, func(tx store.Tx) error { return errors.Join(tx.CreateMerchant(ctx, m), tx.CreateClient(ctx, cl)) })
	var signer merchant.Signer
	if err == nil {
		signer, err = provider.LoadSigner(ctx, db, kassatest.KEK())
	}
	var key []byte
	if err == nil {
		key, err = provider.LoadNotificationKey(ctx, db, kassatest.KEK())
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	log := slog.New(slog.DiscardHandler)
	d := webhook.New(log, db, kassa.SystemClock{}, key, webhook.Config{AllowPrivate: true, KEK: kassatest.KEK()})
	app := provider.New(log, provider.Config{
		PublicURL: url, KEK: kassatest.KEK(), NotificationKey: key, AllowPrivateWebhooks: true, OnNotification: d.Wake,
	}, db, kassa.SystemClock{}, ids, signer)
	srv := api.NewServer(log, api.Config{Sandbox: true, Pages: []api.Routes{checkout.New(log, checkout.Config{Sandbox: true}, app)}}, app)
	hs.Config.Handler = srv
	hs.Start()
	bg, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { d.Run(bg) })
	wg.Go(func() { jobs.Numbering(app, time.Second).Run(bg, log, observe.New()) })
	return &kassaServer{URL: url, ClientID: cl.ID, Secret: secret, MerchantID: m.ID, api: srv, close: func() {
		srv.EndStreams() // else Close waits for them
		hs.Close()
		stop()
		wg.Wait()
		db.Close()
	}}, nil
}

// newKassa starts a Kassa for t.
func newKassa(t *testing.T) *kassaServer {
	t.Helper()
	k, err := startKassa(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.close)
	return k
}

// client is a client of k's merchant.
func (k *kassaServer) client(opts ...client.Option) *client.Client {
	return client.New(k.URL, k.ClientID, k.Secret, opts...)
}

// The Kassa the examples run against, and its merchant's credentials.
var kassaURL, clientID, clientSecret string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kassa-client-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k, err := startKassa(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kassaURL, clientID, clientSecret = k.URL, k.ClientID, k.Secret
	code := m.Run()
	k.close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// placeOrder places a sandbox order as a shop's checkout does.
func placeOrder(c *client.Client) string {
	id, err := load.PlaceOrder(context.Background(), c)
	if err != nil {
		panic(err)
	}
	return id
}
