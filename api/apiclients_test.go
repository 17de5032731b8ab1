package api_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/store"
)

// clientView is an API client as the API answers it.
type clientView struct {
	ClientID, Name, Scope, State, ClientSecret    string
	CreatedAt, RotatedAt, PreviousSecretExpiresAt time.Time
	RevokedAt                                     time.Time
}

// newClient creates an API client of merchant A through the API and
// returns its credentials.
func (e *env) newClient(name, scope string) creds {
	e.t.Helper()
	var v clientView
	e.must(http.StatusCreated, request{method: "POST", path: "/v1/api-clients", body: map[string]any{"name": name, "scope": scope}}).decode(e.t, &v)
	if v.ClientID == "" || v.ClientSecret == "" || v.Name != name || v.Scope != scope || v.State != "active" || !v.CreatedAt.Equal(e.clock.Now()) {
		e.t.Fatalf("created client = %+v", v)
	}
	return creds{e.a.merchantID, v.ClientID, v.ClientSecret}
}

// A read client's tokens say so, and make GET requests only, on every
// kind of route: Ledyer's, Kassa's own and the payment module's. Anything
// else is 403 forbidden, before the request does anything.
func TestReadScope(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		orderID := e.order(cart(line("A", 1, 10000)))
		before := e.must(200, request{method: "GET", path: "/v1/orders/" + orderID}).body
		reader := e.newClient("reporting", "read")
		status, tok := e.grant(reader)
		if status != 200 || tok["scope"] != "read" || tok["expires_in"] != float64(3600) {
			t.Errorf("token for a read client = %d %v, want scope read for an hour", status, tok)
		}
		for _, path := range []string{
			"/v1/orders/" + orderID, "/v1/orders/" + orderID + "/paymentstatus", "/v1/invoice-settings",
			"/v1/notifications", "/v1/api-clients", "/v1/payment-module/collections", "/v1/payments",
		} {
			e.must(200, request{method: "GET", path: path, as: &reader})
		}
		for _, r := range []request{
			{method: "POST", path: "/v1/payment-sessions", body: cart(line("A", 1, 100))},
			{method: "POST", path: "/v1/orders/" + orderID + "/acknowledge"},
			{method: "DELETE", path: "/v1/orders/" + orderID},
			{method: "PUT", path: "/v1/invoice-settings", body: `{}`},
			{method: "POST", path: "/v1/notification-endpoints", body: `{"url":"https://erp.test/hooks"}`},
			{method: "POST", path: "/v1/payment-module/collections", body: `{"currency":"SEK","amount":1000}`},
			{method: "POST", path: "/v1/payments/import", body: `<Document/>`},
			{method: "POST", path: "/v1/api-clients", body: `{"name":"x","scope":"write"}`},
			{method: "POST", path: "/v1/api-clients/" + reader.clientID + "/rotate"},
			{method: "DELETE", path: "/v1/api-clients/" + reader.clientID},
		} {
			r.as = &reader
			resp := e.do(r)
			if resp.status != 403 || resp.code() != "forbidden" || !strings.Contains(resp.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
				t.Errorf("%s %s with a read token = %d %s (WWW-Authenticate %q), want 403 forbidden, insufficient_scope",
					r.method, r.path, resp.status, resp.body, resp.header.Get("WWW-Authenticate"))
			}
		}
		// Nothing changed: the order is as it was, the client active.
		if after := e.must(200, request{method: "GET", path: "/v1/orders/" + orderID, as: &reader}).body; !bytes.Equal(before, after) {
			t.Errorf("a read client's requests changed the order:\n%s\nto\n%s", before, after)
		}
	})
}

// Clients are created, listed, rotated and revoked through the API; the
// list never shows a secret; a rotated client's previous secret works
// for the overlap (a day unless the request says otherwise); a revoked
// client's tokens stop at once in the process that revoked it; a merchant
// cannot revoke its last write client, nor touch another merchant's.
func TestClientLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		integration := e.newClient("ERP integration", "write")
		reader := e.newClient("reporting", "read")

		list := e.must(200, request{method: "GET", path: "/v1/api-clients"})
		var clients struct{ Data []clientView }
		list.decode(t, &clients)
		if len(clients.Data) != 3 || clients.Data[0].ClientID != e.a.clientID || clients.Data[0].Name != "default" || clients.Data[0].Scope != "write" ||
			clients.Data[1].ClientID != integration.clientID || clients.Data[2].ClientID != reader.clientID {
			t.Errorf("GET /v1/api-clients = %s, want the default client, then the two new ones", list.body)
		}
		for _, secret := range []string{"clientSecret", e.a.secret, integration.secret, reader.secret} {
			if bytes.Contains(list.body, []byte(secret)) {
				t.Errorf("GET /v1/api-clients shows %q: %s", secret, list.body)
			}
		}

		// Rotation: the default overlap is a day; one of a minute here.
		var rotated clientView
		e.must(200, request{method: "POST", path: "/v1/api-clients/" + reader.clientID + "/rotate"}).decode(t, &rotated)
		if rotated.ClientSecret == "" || rotated.ClientSecret == reader.secret || !rotated.PreviousSecretExpiresAt.Equal(e.clock.Now().Add(24*time.Hour)) || !rotated.RotatedAt.Equal(e.clock.Now()) {
			t.Errorf("rotated = %+v, want a new secret and the previous one for 24h", rotated)
		}
		reader.secret = rotated.ClientSecret
		e.must(200, request{method: "POST", path: "/v1/api-clients/" + integration.clientID + "/rotate", body: `{"overlapSeconds":60}`}).decode(t, &rotated)
		old := integration
		integration.secret = rotated.ClientSecret
		for _, c := range []creds{old, integration} {
			if status, _ := e.grant(c); status != 200 {
				t.Errorf("token with %s's secret during the overlap = %d, want 200", c.clientID, status)
			}
		}
		e.clock.Advance(time.Minute)
		if status, out := e.grant(old); status != 401 || out["error"] != "invalid_client" {
			t.Errorf("token with the previous secret after the overlap = %d %v, want 401 invalid_client", status, out)
		}

		// Revocation.
		tok := e.token(&integration)
		e.must(200, request{method: "GET", path: "/v1/api-clients", header: map[string]string{"Authorization": "Bearer " + tok}})
		var revoked clientView
		e.must(200, request{method: "DELETE", path: "/v1/api-clients/" + integration.clientID}).decode(t, &revoked)
		if revoked.State != "revoked" || !revoked.RevokedAt.Equal(e.clock.Now()) || revoked.ClientSecret != "" {
			t.Errorf("revoked = %+v", revoked)
		}
		resp := e.do(request{method: "GET", path: "/v1/api-clients", header: map[string]string{"Authorization": "Bearer " + tok}})
		if resp.status != 401 || resp.code() != "unauthorized" {
			t.Errorf("GET with a revoked client's token = %d %s, want 401 unauthorized", resp.status, resp.body)
		}
		if status, _ := e.grant(integration); status != 401 {
			t.Errorf("token for a revoked client = %d, want 401", status)
		}
		for _, r := range []request{
			{method: "DELETE", path: "/v1/api-clients/" + integration.clientID},
			{method: "POST", path: "/v1/api-clients/" + integration.clientID + "/rotate"},
		} {
			if resp := e.do(r); resp.status != 409 || resp.code() != "conflict" {
				t.Errorf("%s %s of a revoked client = %d %s, want 409 conflict", r.method, r.path, resp.status, resp.body)
			}
		}

		// The default client is the last write client: the reader does not
		// count, and the merchant cannot lock itself out.
		resp = e.do(request{method: "DELETE", path: "/v1/api-clients/" + e.a.clientID})
		if resp.status != 409 || resp.code() != "conflict" || !strings.Contains(string(resp.body), "last write client") {
			t.Errorf("revoking the last write client = %d %s, want 409 conflict", resp.status, resp.body)
		}
		e.must(200, request{method: "DELETE", path: "/v1/api-clients/" + reader.clientID})
		// A client may revoke itself while another write client remains.
		self := e.newClient("self", "write")
		e.must(200, request{method: "DELETE", path: "/v1/api-clients/" + self.clientID, as: &self})
		if resp := e.do(request{method: "GET", path: "/v1/api-clients", as: &self}); resp.status != 401 {
			t.Errorf("GET with the token of a client that revoked itself = %d %s, want 401", resp.status, resp.body)
		}

		// Another merchant's clients are not found.
		for _, r := range []request{
			{method: "DELETE", path: "/v1/api-clients/" + e.b.clientID},
			{method: "POST", path: "/v1/api-clients/" + e.b.clientID + "/rotate"},
			{method: "POST", path: "/v1/api-clients/cl_missing/rotate"},
		} {
			if resp := e.do(r); resp.status != 404 || resp.code() != "not_found" {
				t.Errorf("%s %s = %d %s, want 404 not_found", r.method, r.path, resp.status, resp.body)
			}
		}
		var others struct{ Data []clientView }
		e.must(200, request{method: "GET", path: "/v1/api-clients", as: &e.b}).decode(t, &others)
		if len(others.Data) != 1 || others.Data[0].ClientID != e.b.clientID || others.Data[0].State != "active" {
			t.Errorf("merchant B's clients = %+v, want its one active client", others.Data)
		}
	})
}

// Bad input is a 400 that creates or changes nothing: names, scopes and
// overlaps out of bounds, and bodies that are not the JSON asked for.
func TestClientBadInput(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		before := e.must(200, request{method: "GET", path: "/v1/api-clients"}).body
		rotate := "/v1/api-clients/" + e.a.clientID + "/rotate"
		for _, r := range []request{
			{method: "POST", path: "/v1/api-clients", body: `{"scope":"read"}`},
			{method: "POST", path: "/v1/api-clients", body: `{"name":"  ","scope":"read"}`},
			{method: "POST", path: "/v1/api-clients", body: map[string]any{"name": strings.Repeat("n", 101), "scope": "read"}},
			{method: "POST", path: "/v1/api-clients", body: `{"name":"x"}`},
			{method: "POST", path: "/v1/api-clients", body: `{"name":"x","scope":"admin"}`},
			{method: "POST", path: "/v1/api-clients", body: `{"name":"x","scope":["read"]}`},
			{method: "POST", path: "/v1/api-clients", body: `{"name":"x\u0000","scope":"read"}`},
			{method: "POST", path: "/v1/api-clients", body: `{`},
			{method: "POST", path: rotate, body: `{"overlapSeconds":-1}`},
			{method: "POST", path: rotate, body: `{"overlapSeconds":604801}`},
			{method: "POST", path: rotate, body: `{"overlapSeconds":1e18}`},
			{method: "POST", path: rotate, body: `{"overlapSeconds":-1e18}`},
			{method: "POST", path: rotate, body: `{"overlapSeconds":"soon"}`},
			{method: "POST", path: rotate, body: `[1]`},
		} {
			resp := e.do(r)
			if resp.status != 400 || resp.code() != "invalid_request" {
				t.Errorf("%s %s %v = %d %s, want 400 invalid_request", r.method, r.path, r.body, resp.status, resp.body)
			}
		}
		if after := e.must(200, request{method: "GET", path: "/v1/api-clients"}).body; !bytes.Equal(before, after) {
			t.Errorf("bad input changed the clients:\n%s\nto\n%s", before, after)
		}
		// The bounds themselves are accepted.
		other := e.newClient("other", "write")
		for _, secs := range []string{"0", "604800"} {
			e.must(200, request{method: "POST", path: "/v1/api-clients/" + other.clientID + "/rotate", body: `{"overlapSeconds":` + secs + `}`})
		}
	})
}

// Creating and rotating are idempotent with an Idempotency-Key, like
// every mutation, but the secret is shown once: the record keeps the
// answer without it, and a replay answers without it.
func TestClientIdempotency(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		for _, r := range []request{
			{method: "POST", path: "/v1/api-clients", body: `{"name":"ERP","scope":"write"}`, header: map[string]string{"Idempotency-Key": "create-1"}},
			{method: "POST", path: "/v1/api-clients/" + e.a.clientID + "/rotate", body: `{"overlapSeconds":3600}`, header: map[string]string{"Idempotency-Key": "rotate-1"}},
		} {
			first := e.do(r)
			var v clientView
			first.decode(t, &v)
			if first.status >= 300 || v.ClientSecret == "" {
				t.Fatalf("%s %s = %d %s, want a secret", r.method, r.path, first.status, first.body)
			}
			replay := e.do(r)
			var again clientView
			replay.decode(t, &again)
			if replay.status != first.status || replay.header.Get("Idempotent-Replayed") != "true" || again.ClientSecret != "" || again.ClientID != v.ClientID {
				t.Errorf("replay of %s = %d %s, want %d, the same client without its secret", r.path, replay.status, replay.body, first.status)
			}
			rec, err := func() (*store.IdempotencyRecord, error) {
				var rec *store.IdempotencyRecord
				err := e.store.View(context.Background(), func(tx store.ReadTx) (err error) {
					rec, err = tx.IdempotencyRecord(context.Background(), e.a.merchantID, r.header["Idempotency-Key"])
					return err
				})
				return rec, err
			}()
			if err != nil || rec == nil || bytes.Contains(rec.Body, []byte(v.ClientSecret)) {
				t.Errorf("idempotency record of %s = %+v, %v; want one without the secret", r.path, rec, err)
			}
		}
		var clients struct{ Data []clientView }
		e.must(200, request{method: "GET", path: "/v1/api-clients"}).decode(t, &clients)
		if len(clients.Data) != 2 {
			t.Errorf("%d clients after a create and its replay, want 2", len(clients.Data))
		}
	})
}
