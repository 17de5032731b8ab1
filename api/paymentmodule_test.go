package api_test

import (
	"net/http"
	"strings"
	"testing"
)

const pm = "/v1/payment-module"

// idOf decodes the "id" of a response.
func idOf(t testing.TB, r response) string {
	t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	r.decode(t, &v)
	if v.ID == "" {
		t.Fatalf("no id in %s", r.body)
	}
	return v.ID
}

type collectionOut struct {
	Status           string `json:"status"`
	AuthorizedAmount int64  `json:"authorizedAmount"`
	CapturedAmount   int64  `json:"capturedAmount"`
	RefundedAmount   int64  `json:"refundedAmount"`
	Sessions         []struct {
		ID string `json:"id"`
	} `json:"sessions"`
	Payments []struct {
		ID string `json:"id"`
	} `json:"payments"`
}

func TestPaymentModuleFlow(t *testing.T) {
	backends(t, testPaymentModuleFlow)
}

func testPaymentModuleFlow(t *testing.T, newEnv func(*testing.T, ...option) *env) {
	e := newEnv(t)
	col := idOf(t, e.must(http.StatusCreated, request{method: "POST", path: pm + "/collections",
		body: map[string]any{"currency": "SEK", "amount": 500000, "metadata": map[string]any{"cart": "c1"}}}))
	ses := idOf(t, e.must(http.StatusCreated, request{method: "POST", path: pm + "/collections/" + col + "/sessions",
		body: map[string]any{"providerId": "pp_system_default"}}))
	var auth struct {
		Status  string `json:"status"`
		Payment struct {
			ID     string `json:"id"`
			Amount int64  `json:"amount"`
		} `json:"payment"`
	}
	e.must(http.StatusOK, request{method: "POST", path: pm + "/sessions/" + ses + "/authorize"}).decode(t, &auth)
	if auth.Status != "authorized" || auth.Payment.Amount != 500000 {
		t.Fatalf("authorize = %+v", auth)
	}
	pay := auth.Payment.ID
	var synced struct {
		Payment struct{ ID string } `json:"payment"`
	}
	e.must(http.StatusOK, request{method: "POST", path: pm + "/sessions/" + ses + "/sync"}).decode(t, &synced)
	if synced.Payment.ID != pay {
		t.Fatalf("sync of an authorized session = %+v", synced)
	}
	capture := request{method: "POST", path: pm + "/payments/" + pay + "/capture",
		body: map[string]any{"amount": 200000}, header: map[string]string{"Idempotency-Key": "cap-1"}}
	first := e.must(http.StatusOK, capture)
	again := e.must(http.StatusOK, capture)
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
		t.Fatalf("replay = %s %v", again.body, again.header)
	}
	e.must(http.StatusOK, request{method: "POST", path: pm + "/payments/" + pay + "/capture"})
	var p struct {
		Status   string `json:"status"`
		Captures []struct {
			Amount int64  `json:"amount"`
			Key    string `json:"key"`
		} `json:"captures"`
	}
	e.must(http.StatusOK, request{method: "POST", path: pm + "/payments/" + pay + "/refund",
		body: map[string]any{"amount": "50000", "reason": "damaged", "note": "one leg"}}).decode(t, &p)
	if p.Status != "captured" || len(p.Captures) != 2 || p.Captures[0].Key != "cap-1" || p.Captures[1].Amount != 300000 {
		t.Fatalf("payment = %+v", p)
	}
	var c collectionOut
	e.must(http.StatusOK, request{method: "GET", path: pm + "/collections/" + col}).decode(t, &c)
	if c.Status != "completed" || c.AuthorizedAmount != 500000 || c.CapturedAmount != 500000 || c.RefundedAmount != 50000 ||
		len(c.Sessions) != 1 || len(c.Payments) != 1 {
		t.Fatalf("collection = %+v", c)
	}
	var list struct {
		Collections []struct {
			ID string `json:"id"`
		} `json:"collections"`
	}
	e.must(http.StatusOK, request{method: "GET", path: pm + "/collections?limit=5"}).decode(t, &list)
	if len(list.Collections) != 1 || list.Collections[0].ID != col {
		t.Fatalf("list = %+v", list)
	}
}

func TestPaymentModuleErrors(t *testing.T) {
	e := newEnv(t)
	col := idOf(t, e.must(http.StatusCreated, request{method: "POST", path: pm + "/collections", body: map[string]any{"currency": "SEK", "amount": 1000}}))
	for _, tc := range []struct {
		name   string
		r      request
		status int
		code   string
	}{
		{"fractional amount", request{method: "POST", path: pm + "/collections", body: `{"currency":"SEK","amount":10.5}`}, 400, "invalid_request"},
		{"bad currency", request{method: "POST", path: pm + "/collections", body: `{"currency":"XXX","amount":10}`}, 400, "invalid_request"},
		{"bad JSON", request{method: "POST", path: pm + "/collections", body: `{"currency":`}, 400, "invalid_request"},
		{"unknown provider", request{method: "POST", path: pm + "/collections/" + col + "/sessions", body: `{"providerId":"pp_nope"}`}, 400, "invalid_request"},
		{"currency mismatch", request{method: "POST", path: pm + "/collections/" + col + "/sessions", body: `{"providerId":"pp_system_default","currency":"EUR"}`}, 400, "invalid_request"},
		{"other merchant", request{method: "GET", path: pm + "/collections/" + col, as: &e.b}, 404, "not_found"},
		{"missing payment", request{method: "POST", path: pm + "/payments/pay_x/capture"}, 404, "not_found"},
		{"webhook of an unknown provider", request{method: "POST", path: pm + "/providers/pp_nope/webhooks", body: `{}`}, 404, "not_found"},
		{"currency change", request{method: "POST", path: pm + "/collections/" + col, body: `{"currency":"EUR"}`}, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.r)
			if r.status != tc.status || r.code() != tc.code {
				t.Errorf("= %d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}

	ses := idOf(t, e.must(http.StatusCreated, request{method: "POST", path: pm + "/collections/" + col + "/sessions", body: `{"providerId":"pp_system_default"}`}))
	var auth struct {
		Payment struct{ ID string } `json:"payment"`
	}
	e.must(http.StatusOK, request{method: "POST", path: pm + "/sessions/" + ses + "/authorize"}).decode(t, &auth)
	over := e.do(request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/capture", body: `{"amount":1001}`})
	if over.status != http.StatusConflict || !strings.Contains(string(over.body), "at most 1000") {
		t.Errorf("over-capture = %d %s", over.status, over.body)
	}
	key := map[string]string{"Idempotency-Key": "k1"}
	e.must(http.StatusOK, request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/capture", body: `{"amount":100}`, header: key})
	reuse := e.do(request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/capture", body: `{"amount":200}`, header: key})
	if reuse.status != http.StatusUnprocessableEntity {
		t.Errorf("key reuse = %d %s", reuse.status, reuse.body)
	}
	cancel := e.do(request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/cancel"})
	if cancel.status != http.StatusConflict {
		t.Errorf("cancel after capture = %d %s", cancel.status, cancel.body)
	}
	del := e.do(request{method: "DELETE", path: pm + "/collections/" + col})
	if del.status != http.StatusConflict {
		t.Errorf("delete with payments = %d %s", del.status, del.body)
	}

	// Without a token: 401, like every /v1 route.
	req, _ := http.NewRequest("GET", e.http.URL+pm+"/collections/"+col, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token = %d", resp.StatusCode)
	}
}

// The module's collection view after the accept-payment flow, pinned byte
// for byte.
func TestGoldenPaymentCollection(t *testing.T) {
	e := newEnv(t)
	col := idOf(t, e.must(http.StatusCreated, request{method: "POST", path: pm + "/collections",
		body: map[string]any{"currency": "EUR", "amount": 12050, "metadata": map[string]any{"cart": "cart_1"}}}))
	ses := idOf(t, e.must(http.StatusCreated, request{method: "POST", path: pm + "/collections/" + col + "/sessions",
		body: map[string]any{"providerId": "pp_system_default", "data": map[string]any{"note": "manual"}}}))
	e.clock.Advance(60e9)
	var auth struct {
		Payment struct{ ID string } `json:"payment"`
	}
	e.must(http.StatusOK, request{method: "POST", path: pm + "/sessions/" + ses + "/authorize"}).decode(t, &auth)
	e.clock.Advance(60e9)
	e.must(http.StatusOK, request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/capture",
		body: map[string]any{"createdBy": "user_1"}, header: map[string]string{"Idempotency-Key": "capture-1"}})
	e.clock.Advance(60e9)
	e.must(http.StatusOK, request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/refund",
		body: map[string]any{"amount": 2050, "reason": "damaged", "note": "Scratched lid"}})
	golden(t, "payment_collection.json", e.must(http.StatusOK, request{method: "GET", path: pm + "/collections/" + col}).body)
}

// Bad input to the module's routes never fails server-side: every answer
// is a 2xx (the route ignores what it does not read) or a 4xx with a code,
// on every store.
func TestPaymentModuleBadInput(t *testing.T) {
	backends(t, func(t *testing.T, newEnv func(*testing.T, ...option) *env) {
		e := newEnv(t)
		col := idOf(t, e.must(http.StatusCreated, request{method: "POST", path: pm + "/collections", body: `{"currency":"SEK","amount":1000}`}))
		ses := idOf(t, e.must(http.StatusCreated, request{method: "POST", path: pm + "/collections/" + col + "/sessions", body: `{"providerId":"pp_system_default"}`}))
		var auth struct {
			Payment struct{ ID string } `json:"payment"`
		}
		e.must(http.StatusOK, request{method: "POST", path: pm + "/sessions/" + ses + "/authorize"}).decode(t, &auth)
		bodies := []string{
			`{`, `"text"`, `42`, `[1,2]`, `{"amount":"many"}`, `{"amount":-5}`, `{"amount":1e30}`, `{"amount":0.5}`,
			`{"currency":"SEK","amount":99999999999999999}`, `{"metadata":[1]}`, `{"metadata":"x"}`, `{"data":7}`,
			`{"providerId":"pp_system_default\u0000"}`, `{"providerId":{"a":1}}`, `{"amount":1001}`,
			`{"reason":"\u0000","note":"` + strings.Repeat("n", 2000) + `","amount":1}`, `{"metadata":{"k":"\u0000"}}`,
			"\x00\xff", strings.Repeat("[", 10000),
		}
		paths := []string{
			pm + "/collections", pm + "/collections/" + col + "/sessions", pm + "/sessions/" + ses,
			pm + "/sessions/" + ses + "/authorize", pm + "/payments/" + auth.Payment.ID + "/refund",
			pm + "/payments/" + auth.Payment.ID + "/capture", pm + "/collections/" + col,
		}
		for _, p := range paths {
			for _, b := range bodies {
				resp := e.do(request{method: "POST", path: p, body: b})
				if resp.status >= 500 || resp.status >= 300 && resp.status < 400 {
					t.Errorf("POST %s with %.40q = %d %s, want a 2xx or 4xx", p, b, resp.status, resp.body)
				} else if resp.status >= 400 && resp.code() == "" {
					t.Errorf("POST %s with %.40q = %d without an error code: %s", p, b, resp.status, resp.body)
				}
			}
		}
		for _, key := range []string{"k\xff", strings.Repeat("k", 256)} {
			resp := e.do(request{method: "POST", path: pm + "/payments/" + auth.Payment.ID + "/refund", header: map[string]string{"Idempotency-Key": key}})
			if resp.status != http.StatusBadRequest {
				t.Errorf("Idempotency-Key %.20q = %d %s, want 400", key, resp.status, resp.body)
			}
		}
	})
}
