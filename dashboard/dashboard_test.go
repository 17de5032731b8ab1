package dashboard_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/api"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/dashboard"
	"github.com/kassa-pay/kassa/kassatest"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/postgres/pgtest"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/sqlite"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

var t0 = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

const password = "correct horse battery staple"

// env is Kassa with the dashboard mounted as `kassa serve` mounts it,
// over SQLite, with two merchants, a and b.
type env struct {
	t      *testing.T
	app    *provider.Service
	store  store.Store
	clock  *kassatest.Clock
	base   string
	a, b   string // merchants' IDs
	aOrder string // an order of a's
	bOrder string // an order of b's
	aOwner *user.User
}

// newEnv serves the dashboard over SQLite; publicURL "" is the server's
// own http://127.0.0.1 address.
func newEnv(t *testing.T, publicURL, merchantName, buyerName string) *env {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "kassa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newEnvOn(t, db, publicURL, merchantName, buyerName)
}

// envMaker makes a test's env, as newEnv does.
type envMaker func(t *testing.T, publicURL, merchantName, buyerName string) *env

// bothStores runs test over SQLite and over PostgreSQL: the dashboard's
// changes hold on each store alike.
func bothStores(t *testing.T, test func(t *testing.T, newEnv envMaker)) {
	t.Run("sqlite", func(t *testing.T) { test(t, newEnv) })
	t.Run("postgres", func(t *testing.T) {
		test(t, func(t *testing.T, publicURL, merchantName, buyerName string) *env {
			return newEnvOn(t, pgtest.Open(t), publicURL, merchantName, buyerName)
		})
	})
}

// newEnvOn serves the dashboard over db, which must be empty.
func newEnvOn(t *testing.T, db store.Store, publicURL, merchantName, buyerName string) *env {
	t.Helper()
	e := &env{t: t, store: db, clock: kassatest.NewClock(t0)}
	ids := &kassatest.IDs{Digits: 27}
	for i, name := range []string{merchantName, "Other Merchant AB"} {
		m, err := merchant.NewMerchant(ids, t0, name)
		if err != nil {
			t.Fatal(err)
		}
		kassatest.AddMerchant(t, db, ids, t0, m)
		*[]*string{&e.a, &e.b}[i] = m.ID
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.base = "http://" + l.Addr().String()
	if publicURL == "" {
		publicURL = e.base
	}
	signer, err := provider.LoadSigner(t.Context(), db, kassatest.KEK())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	// Private webhooks: the notification tests' endpoints listen on loopback.
	e.app = provider.New(log, provider.Config{PublicURL: publicURL, KEK: kassatest.KEK(), AllowPrivateWebhooks: true}, db, e.clock, ids, signer)
	srv := api.NewServer(log, api.Config{Sandbox: true, Pages: []api.Routes{dashboard.New(log, dashboard.Config{PublicURL: publicURL}, e.app)}}, e.app)
	hs := &httptest.Server{Listener: l, Config: &http.Server{Handler: srv}}
	hs.Start()
	t.Cleanup(hs.Close)

	buyer := kassatest.Buyer
	buyer.CompanyName = buyerName
	e.aOrder = kassatest.PurchaseAs(t, e.app, e.a, buyer, nil).ID
	e.bOrder = kassatest.Purchase(t, e.app, e.b, nil).ID
	e.aOwner = e.newUser(e.a, "owner@a.example", user.Owner)
	return e
}

// newUser adds a user with the test's password.
func (e *env) newUser(merchantID, email string, role user.Role) *user.User {
	e.t.Helper()
	var link string
	err := e.app.Update(e.t.Context(), func(tx store.Tx) error {
		u, err := e.app.CreateUser(e.t.Context(), tx, merchantID, email, role)
		if err != nil {
			return err
		}
		link, err = e.app.UserLink(e.t.Context(), tx, u, user.Invitation)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.app.SetPassword(e.t.Context(), tokenOf(e.t, link), password)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q has no token", link)
	}
	return u.Query().Get("token")
}

// client is a browser without JavaScript: a cookie jar, and the last
// page's CSRF token.
type client struct {
	t    *testing.T
	e    *env
	http *http.Client
	csrf string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, e: e, http: &http.Client{Jar: jar}}
}

// page is a response as the browser ends up with it, redirects followed.
type page struct {
	status int
	path   string
	body   string
	resp   *http.Response
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, path: resp.Request.URL.RequestURI(), body: string(b), resp: resp}
	if m := csrfField.FindStringSubmatch(p.body); m != nil {
		c.csrf = m[1]
	}
	return p
}

func (c *client) get(path string) page {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.e.base+path, nil)
	return c.do(req)
}

// post sends a form, with the last page's CSRF token unless vs has one.
func (c *client) post(path string, vs url.Values) page {
	c.t.Helper()
	if _, ok := vs["csrf"]; !ok {
		vs.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequest("POST", c.e.base+path, strings.NewReader(vs.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) signIn(email, pw string) page {
	c.t.Helper()
	c.get("/dashboard/sign-in")
	return c.post("/dashboard/sign-in", url.Values{"email": {email}, "password": {pw}})
}

// cookie is the browser's cookie name, "" if none.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.e.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func (e *env) events(action string) []audit.Event {
	e.t.Helper()
	es, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]audit.Event, error) {
		return tx.AuditEvents(e.t.Context(), e.a, store.AuditFilter{Action: action, Limit: 100})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// Signing in shows the merchant's latest orders and no other merchant's;
// signing out ends the session.
func TestSignInAndOut(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	c := e.client()
	if p := c.get("/dashboard"); p.path != "/dashboard/sign-in" || !strings.Contains(p.body, `<label for="email">`) {
		t.Fatalf("a visitor at /dashboard: %d at %s", p.status, p.path)
	}
	home := c.signIn("Owner@A.example", password)
	if home.status != 200 || home.path != "/dashboard" {
		t.Fatalf("sign in: %d at %s\n%s", home.status, home.path, home.body)
	}
	for _, want := range []string{e.aOrder, "Köpare AB", "SEK 100.00", "Möbler AB", "owner@a.example (owner)"} {
		if !strings.Contains(home.body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(home.body, e.bOrder) || strings.Contains(home.body, "Other Merchant AB") {
		t.Error("home page shows another merchant's order")
	}
	out := c.post("/dashboard/sign-out", url.Values{})
	if out.path != "/dashboard/sign-in?notice=signed-out" || !strings.Contains(out.body, "You have signed out.") {
		t.Errorf("sign out: %d at %s", out.status, out.path)
	}
	if p := c.get("/dashboard"); p.path != "/dashboard/sign-in" {
		t.Errorf("after sign-out /dashboard is at %s", p.path)
	}
	if es := e.events(provider.ActionSignOut); len(es) != 1 || es[0].Actor != provider.ActorOfUser(e.aOwner) {
		t.Errorf("sign-out events %+v", es)
	}

	// A wrong password: the form again, with the answer and the address.
	p := c.signIn("owner@a.example", "not the password")
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "wrong e-mail address or password") || !strings.Contains(p.body, `value="owner@a.example"`) {
		t.Errorf("wrong password: %d\n%s", p.status, p.body)
	}
}

// The TOTP step: a session waiting for its code opens nothing else; the
// code signs in.
func TestTOTPStep(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	secret, _, err := e.app.BeginTOTP(t.Context(), e.aOwner.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.ConfirmTOTP(t.Context(), e.aOwner.ID, user.TOTPCode(secret, t0)); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(user.TOTPStep)
	c := e.client()
	if p := c.signIn("owner@a.example", password); p.path != "/dashboard/totp" || !strings.Contains(p.body, `autocomplete="one-time-code"`) {
		t.Fatalf("sign in with TOTP on: %d at %s", p.status, p.path)
	}
	pending := c.cookie("kassa_session")
	if p := c.get("/dashboard"); p.path != "/dashboard/totp" {
		t.Errorf("/dashboard while the code is due: at %s", p.path)
	}
	if p := c.post("/dashboard/totp", url.Values{"code": {"000000"}}); p.status != http.StatusUnauthorized {
		t.Errorf("wrong code: %d", p.status)
	}
	if p := c.post("/dashboard/totp", url.Values{"code": {user.TOTPCode(secret, e.clock.Now())}}); p.path != "/dashboard" || !strings.Contains(p.body, e.aOrder) {
		t.Errorf("right code: %d at %s", p.status, p.path)
	}
	if c.cookie("kassa_session") == pending {
		t.Error("the session ID did not change at the code step")
	}
}

// Setting a password from an invitation: the page names the address; a
// weak password is refused with the rule; a good one is set once.
func TestSetPasswordPage(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	var link string
	err := e.app.Update(t.Context(), func(tx store.Tx) error {
		u, err := e.app.Invite(t.Context(), tx, e.aOwner, "new@a.example", user.Support)
		if err != nil {
			return err
		}
		link, err = e.app.UserLink(t.Context(), tx, u, user.Invitation)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(link, e.base)
	c := e.client()
	if p := c.get(path); p.status != 200 || !strings.Contains(p.body, "For new@a.example.") {
		t.Fatalf("GET the link: %d\n%s", p.status, p.body)
	}
	tok := tokenOf(t, link)
	if p := c.post("/dashboard/set-password", url.Values{"token": {tok}, "password": {"short"}}); p.status != 400 || !strings.Contains(p.body, "at least 12 characters") {
		t.Errorf("weak password: %d", p.status)
	}
	if p := c.post("/dashboard/set-password", url.Values{"token": {tok}, "password": {password}}); !strings.Contains(p.body, "Your password is set.") {
		t.Errorf("good password: %d at %s", p.status, p.path)
	}
	if p := c.get(path); p.status != 404 || !strings.Contains(p.body, "expired or has been used") {
		t.Errorf("the link again: %d", p.status)
	}
	if p := c.signIn("new@a.example", password); p.path != "/dashboard" {
		t.Errorf("signing in as the invited user: at %s", p.path)
	}
	// The forgotten-password form answers the same for any address.
	for _, email := range []string{"new@a.example", "nobody@a.example"} {
		f := e.client()
		f.get("/dashboard/forgot-password")
		if p := f.post("/dashboard/forgot-password", url.Values{"email": {email}}); p.status != 200 || !strings.Contains(p.body, "If a dashboard account has that address") {
			t.Errorf("forgot password for %s: %d", email, p.status)
		}
	}
}

// Every form is refused without its CSRF token, or with another
// browser's or another session's, and then does nothing.
func TestCSRF(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	victim, attacker := e.client(), e.client()
	victim.get("/dashboard/sign-in")
	attacker.get("/dashboard/sign-in")
	creds := url.Values{"email": {"owner@a.example"}, "password": {password}}
	for _, c := range []struct {
		name, token string
	}{{"missing", ""}, {"another browser's", attacker.csrf}, {"forged", "AAAA"}} {
		vs := url.Values{"email": creds["email"], "password": creds["password"], "csrf": {c.token}}
		p := victim.post("/dashboard/sign-in", vs)
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "This form has expired") || victim.cookie("kassa_session") != "" {
			t.Errorf("%s token: %d at %s", c.name, p.status, p.path)
		}
	}
	if es := e.events(provider.ActionSignIn); len(es) != 0 {
		t.Errorf("refused forms signed in: %+v", es)
	}
	// A form without the CSRF cookie at all.
	bare := &http.Client{}
	resp, err := bare.PostForm(e.base+"/dashboard/sign-in", url.Values{"email": creds["email"], "password": creds["password"], "csrf": {victim.csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("no CSRF cookie: %d", resp.StatusCode)
	}

	victim.signIn("owner@a.example", password)
	signedIn := victim.csrf
	// A token from before signing in no longer works: it was the visitor's.
	victim.get("/dashboard/sign-in")
	victim.csrf = ""
	if p := victim.post("/dashboard/sign-out", url.Values{"csrf": {attacker.csrf}}); p.status != http.StatusForbidden {
		t.Errorf("sign-out with another browser's token: %d", p.status)
	}
	if p := victim.get("/dashboard"); p.path != "/dashboard" {
		t.Errorf("a refused sign-out signed out: at %s", p.path)
	}
	if p := victim.post("/dashboard/sign-out", url.Values{"csrf": {signedIn}}); p.path != "/dashboard/sign-in?notice=signed-out" {
		t.Errorf("sign-out with the session's token: %d at %s", p.status, p.path)
	}
}

// Cookies are HttpOnly and SameSite=Lax; Secure, with the __Host-
// prefix, unless the public URL is plain http on loopback.
func TestCookieFlags(t *testing.T) {
	for _, c := range []struct {
		publicURL, prefix string
		secure            bool
	}{{"https://kassa.example", "__Host-", true}, {"", "", false}} {
		e := newEnv(t, c.publicURL, "Möbler AB", "Köpare AB")
		// By hand: a cookie jar would keep Secure cookies from plain http.
		resp, err := http.Get(e.base + "/dashboard/sign-in")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		csrfCookie := resp.Cookies()[0]
		token := csrfField.FindStringSubmatch(string(b))[1]
		req, _ := http.NewRequest("POST", e.base+"/dashboard/sign-in", strings.NewReader(url.Values{"email": {"owner@a.example"}, "password": {password}, "csrf": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie.Name, Value: csrfCookie.Value})
		resp, err = http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: sign in answered %d", c.publicURL, resp.StatusCode)
		}
		for _, ck := range append([]*http.Cookie{csrfCookie}, resp.Cookies()...) {
			if !strings.HasPrefix(ck.Name, c.prefix+"kassa_") || ck.Secure != c.secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("%s: cookie %s", c.publicURL, ck)
			}
		}
		if len(resp.Cookies()) != 1 || resp.Cookies()[0].Name != c.prefix+"kassa_session" || resp.Cookies()[0].MaxAge != 0 {
			t.Errorf("%s: sign-in set %v, want one session cookie", c.publicURL, resp.Cookies())
		}
	}
}

// The session ID changes at sign-in: an ID planted in the browser
// before, or a session it had, never becomes the signed-in one.
func TestSessionFixation(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	c := e.client()
	u, _ := url.Parse(e.base)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "kassa_session", Value: "planted-by-an-attacker", Path: "/"}})
	c.signIn("owner@a.example", password)
	first := c.cookie("kassa_session")
	if first == "" || first == "planted-by-an-attacker" {
		t.Fatalf("session after sign-in %q", first)
	}
	// Signing in again, over a valid session, gives a new ID and ends
	// the old session.
	c.signIn("owner@a.example", password)
	second := c.cookie("kassa_session")
	if second == first {
		t.Fatal("a second sign-in kept the session ID")
	}
	old := e.client()
	old.http.Jar.SetCookies(u, []*http.Cookie{{Name: "kassa_session", Value: first, Path: "/"}})
	if p := old.get("/dashboard"); p.path != "/dashboard/sign-in" {
		t.Errorf("the session from before the second sign-in still opens %s", p.path)
	}
}

// Every page escapes what users and buyers wrote: a merchant and a buyer
// company named with markup are shown as text.
func TestEscaping(t *testing.T) {
	const evil = `<script>alert("pwned")</script> AB`
	e := newEnv(t, "", evil, `<img src=x onerror=alert(1)> Köpare`)
	c := e.client()
	home := c.signIn("owner@a.example", password)
	if home.path != "/dashboard" {
		t.Fatalf("sign in: at %s", home.path)
	}
	// The home page, the orders list (searched with markup) and the order.
	for _, p := range []page{home, c.get("/dashboard/orders?q=" + url.QueryEscape("<img")), c.get("/dashboard/orders/" + e.aOrder)} {
		if strings.Contains(p.body, "<script") || strings.Contains(p.body, "<img") {
			t.Errorf("markup from names reached %s:\n%s", p.path, p.body)
		}
		for _, want := range []string{`&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; AB`, `&lt;img src=x onerror=alert(1)&gt; Köpare`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s lacks the escaped %q", p.path, want)
			}
		}
	}
	// An address typed into the sign-in form comes back escaped.
	p := c.signIn(`"><script>x</script>@a.example`, "whatever password")
	if strings.Contains(p.body, "<script>x") {
		t.Errorf("the typed address reached the page as markup:\n%s", p.body)
	}
	if csp := home.resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q: want no scripts at all", csp)
	}
}

// Each merchant's user sees that merchant's orders only.
func TestMerchantIsolation(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	e.newUser(e.b, "support@b.example", user.Support)
	c := e.client()
	home := c.signIn("support@b.example", password)
	if home.path != "/dashboard" || !strings.Contains(home.body, e.bOrder) || !strings.Contains(home.body, "Other Merchant AB") {
		t.Fatalf("b's home: %d at %s", home.status, home.path)
	}
	if strings.Contains(home.body, e.aOrder) || strings.Contains(home.body, "Möbler AB") {
		t.Error("b's user sees a's order")
	}
}

// Turning two-step sign-in on from the dashboard: the key is shown, a
// wrong code shows it again, the right code turns it on, and the next
// sign-in asks for a code.
func TestTwoStepSetup(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	c := e.client()
	c.signIn("owner@a.example", password)
	if p := c.get("/dashboard/two-step"); p.status != 200 || !strings.Contains(p.body, "Set up two-step sign-in") {
		t.Fatalf("two-step page: %d", p.status)
	}
	p := c.post("/dashboard/two-step/begin", url.Values{})
	m := regexp.MustCompile(`<code id="totp-secret" class="key">([A-Z2-7]{32})</code>`).FindStringSubmatch(p.body)
	if m == nil || !strings.Contains(p.body, "otpauth://totp/Kassa:owner@a.example?") {
		t.Fatalf("begin: %d\n%s", p.status, p.body)
	}
	secret := m[1]
	if p := c.post("/dashboard/two-step/confirm", url.Values{"code": {"000000"}, "secret": {secret}}); p.status != 400 || !strings.Contains(p.body, secret) {
		t.Errorf("wrong code: %d, key shown again %v", p.status, strings.Contains(p.body, secret))
	}
	if p := c.post("/dashboard/two-step/confirm", url.Values{"code": {user.TOTPCode(secret, e.clock.Now())}}); !strings.Contains(p.body, "Two-step sign-in is on.") {
		t.Errorf("right code: %d\n%s", p.status, p.body)
	}
	if es := e.events(provider.ActionTOTPConfirm); len(es) != 1 || es[0].Actor != provider.ActorOfUser(e.aOwner) {
		t.Errorf("confirm events %+v", es)
	}
	c.post("/dashboard/sign-out", url.Values{})
	if p := c.signIn("owner@a.example", password); p.path != "/dashboard/totp" {
		t.Errorf("sign-in after turning it on: at %s", p.path)
	}
}

var onceField = regexp.MustCompile(`name="once" value="([^"]*)"`)

// once is the once key of the page's form that changes something.
func once(t *testing.T, p page) string {
	t.Helper()
	m := onceField.FindStringSubmatch(p.body)
	if m == nil || m[1] == "" {
		t.Fatalf("%s (%d) has no form with a once key:\n%s", p.path, p.status, p.body)
	}
	return m[1]
}
