package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/kassa-pay/kassa/client"
	"github.com/kassa-pay/kassa/notify"
)

// listen follows a merchant's notifications on a running Kassa (the
// notification stream) and forwards each to a local URL, signed the
// Standard Webhooks way with a secret of its own, as `stripe listen`
// does: a shop under development receives notifications without a
// public URL or an endpoint registered for it.
func listen(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("listen", "--forward-to URL [--url URL] [--client-id ID --client-secret SECRET] [--secret whsec_…]",
		"Follow a merchant's notifications on a running Kassa and forward each to a local URL as it is written, signed with a secret printed at start.")
	base := fs.String("url", or(getenv("KASSA_URL"), "http://127.0.0.1:8080"), "base URL of Kassa (KASSA_URL)")
	id := fs.String("client-id", getenv("KASSA_CLIENT_ID"), "the merchant's API client ID; read scope is enough (KASSA_CLIENT_ID)")
	secret := fs.String("client-secret", getenv("KASSA_CLIENT_SECRET"), "its secret (KASSA_CLIENT_SECRET)")
	forwardTo := fs.String("forward-to", "", "the URL to POST each notification to, e.g. http://localhost:3000/webhooks")
	whsec := fs.String("secret", getenv("KASSA_LISTEN_SECRET"), "the whsec_ secret to sign with (KASSA_LISTEN_SECRET; default: a new one each run)")
	if err := fs.parse(args, stdout, 0); err != nil {
		return err
	}
	if *id == "" || *secret == "" {
		return errors.New("--client-id and --client-secret are required (kassa serve prints the sandbox merchant's)")
	}
	if u, err := url.Parse(*forwardTo); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("--forward-to must be an http or https URL, e.g. http://localhost:3000/webhooks")
	}
	if *whsec == "" {
		var random [24]byte
		rand.Read(random[:])
		*whsec = notify.NewSecret(random)
	} else if err := notify.CheckSecret(*whsec); err != nil {
		return fmt.Errorf("--secret: %v", err)
	}
	stream, err := client.New(*base, *id, *secret).StreamNotifications(ctx, "")
	if err != nil {
		return fmt.Errorf("following the notifications on %s: %w", *base, err)
	}
	defer stream.Close()
	fmt.Fprintf(stdout, "Ready! Forwarding the notifications of API client %s's merchant on %s to %s\n", *id, *base, *forwardTo)
	fmt.Fprintf(stdout, "Your webhook signing secret is %s (^C to quit)\n", *whsec)
	// A local receiver: no redirects, as Kassa's deliveries follow none.
	h := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for {
		n, err := stream.Next()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s  %-36s %s  %s\n", time.Now().Format(time.DateTime), n.EventType, n.ID, forward(ctx, h, *forwardTo, *whsec, n))
	}
}

// forward POSTs n's payload to u, signed with secret as Kassa signs its
// deliveries, and describes the answer: [status] or the error.
func forward(ctx context.Context, h *http.Client, u, secret string, n *client.Notification) string {
	sig, err := notify.Sign(n.ID, time.Now(), n.Payload, secret)
	if err != nil {
		return "[" + err.Error() + "]"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(n.Payload))
	if err != nil {
		return "[" + err.Error() + "]"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kassa-listen")
	req.Header.Set("webhook-id", sig.ID)
	req.Header.Set("webhook-timestamp", sig.Timestamp)
	req.Header.Set("webhook-signature", sig.Signature)
	resp, err := h.Do(req)
	if err != nil {
		return "[" + err.Error() + "]"
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is kept
	resp.Body.Close()
	return fmt.Sprintf("[%d]", resp.StatusCode)
}
