package dashboard_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/invoice"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

var (
	secretField = regexp.MustCompile(`<code id="client-secret" class="key">([^<]+)</code>`)
	clientField = regexp.MustCompile(`<code id="client-id" class="key">([^<]+)</code>`)
)

// clients are the merchant's API clients.
func (e *env) clients(merchantID string) []merchant.Client {
	e.t.Helper()
	cs, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]merchant.Client, error) {
		return e.app.Clients(e.t.Context(), tx, merchantID)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func (e *env) users(merchantID string) map[string]user.Role {
	e.t.Helper()
	us, err := provider.View(e.t.Context(), e.app, func(tx store.ReadTx) ([]user.User, error) { return tx.Users(e.t.Context(), merchantID) })
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]user.Role{}
	for _, u := range us {
		m[u.Email] = u.Role
	}
	return m
}

// signedIn is a client signed in as a new user of merchant a with role
// (the owner for user.Owner).
func (e *env) signedIn(email string, role user.Role) *client {
	e.t.Helper()
	if email != e.aOwner.Email {
		e.newUser(e.a, email, role)
	}
	c := e.client()
	if p := c.signIn(email, password); p.path != "/dashboard" {
		e.t.Fatalf("sign in as %s: at %s", email, p.path)
	}
	return c
}

// The settings index links to each part, for every role.
func TestSettingsIndex(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	c := e.signedIn("support@a.example", user.Support)
	p := c.get("/dashboard/settings")
	for _, want := range []string{"/dashboard/settings/api-keys", "/dashboard/settings/users", "/dashboard/settings/audit"} {
		if p.status != 200 || !strings.Contains(p.body, `href="`+want+`"`) {
			t.Errorf("settings index: %d, lacks a link to %s", p.status, want)
		}
	}
}

// An API key is created with its secret shown once, rotated (the new
// secret shown once, the old refused with no overlap) and revoked; a
// replayed form shows no secret; bad input changes nothing.
func TestAPIKeys(t *testing.T) { bothStores(t, testAPIKeys) }

func testAPIKeys(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	c := e.signedIn(e.aOwner.Email, user.Owner)
	p := c.get("/dashboard/settings/api-keys")
	first := e.clients(e.a)[0]
	if p.status != 200 || !strings.Contains(p.body, first.ID) || !strings.Contains(p.body, `id="create-key"`) {
		t.Fatalf("API keys page: %d\n%s", p.status, p.body)
	}
	form := url.Values{"name": {"Reporting"}, "scope": {"read"}, "once": {once(t, p)}}
	p = c.post("/dashboard/settings/api-keys", form)
	sm, im := secretField.FindStringSubmatch(p.body), clientField.FindStringSubmatch(p.body)
	if p.status != 200 || sm == nil || im == nil {
		t.Fatalf("create: %d at %s\n%s", p.status, p.path, p.body)
	}
	id, secret := im[1], sm[1]
	if cc := p.resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the secret's page may be cached: Cache-Control %q", cc)
	}
	if tok, err := e.app.IssueToken(t.Context(), id, secret); err != nil || tok.Scope != merchant.ScopeRead {
		t.Errorf("the shown secret: %+v, %v", tok, err)
	}
	// The same form again (a double click, the back button): the first
	// answer's notice, never the secret; one key made.
	p = c.post("/dashboard/settings/api-keys", form)
	if p.path != "/dashboard/settings/api-keys" || strings.Contains(p.body, secret) || !strings.Contains(p.body, "its secret was shown once") {
		t.Errorf("replay: %d at %s, shows the secret %v", p.status, p.path, strings.Contains(p.body, secret))
	}
	if n := len(e.clients(e.a)); n != 2 {
		t.Errorf("%d clients after a create and its replay, want 2", n)
	}
	es := e.events("POST /dashboard/settings/api-keys")
	if len(es) != 2 || es[0].Target != id || es[1].Target != id || !es[0].Replay || es[0].Status != http.StatusSeeOther || es[1].Status != http.StatusOK || es[0].Actor != provider.ActorOfUser(e.aOwner) {
		t.Errorf("create events %+v", es)
	}

	// A name with markup is shown as text, on the secret page and the list.
	p = c.post("/dashboard/settings/api-keys", url.Values{"name": {`<img src=x onerror=alert(1)>`}, "scope": {"read"}, "once": {once(t, c.get("/dashboard/settings/api-keys"))}})
	for _, q := range []page{p, c.get("/dashboard/settings/api-keys")} {
		if strings.Contains(q.body, "<img") || !strings.Contains(q.body, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s: the key's name is not escaped", q.path)
		}
	}
	if n := len(e.clients(e.a)); n != 3 {
		t.Fatalf("%d clients, want 3", n)
	}

	// Bad input: 400, the form again with what was typed, nothing made.
	for _, bad := range []url.Values{{"name": {""}, "scope": {"write"}}, {"name": {"X"}, "scope": {"admin"}}, {"name": {strings.Repeat("n", 101)}, "scope": {"read"}}, {"name": {"No once key"}, "scope": {"read"}}} {
		if bad.Get("name") != "No once key" {
			bad.Set("once", once(t, c.get("/dashboard/settings/api-keys")))
		}
		if p = c.post("/dashboard/settings/api-keys", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="error"`) || secretField.MatchString(p.body) {
			t.Errorf("create %v: %d, want 400 with an error", bad, p.status)
		}
	}
	if n := len(e.clients(e.a)); n != 3 {
		t.Errorf("%d clients after bad input, want 3", n)
	}

	// Rotate with no overlap: the new secret once, the old refused.
	p = c.get("/dashboard/settings/api-keys/" + id + "/rotate")
	if p.status != 200 || !strings.Contains(p.body, "Reporting") {
		t.Fatalf("rotate page: %d", p.status)
	}
	p = c.post("/dashboard/settings/api-keys/"+id+"/rotate", url.Values{"overlap": {"0"}, "once": {once(t, p)}})
	sm = secretField.FindStringSubmatch(p.body)
	if p.status != 200 || sm == nil || sm[1] == secret {
		t.Fatalf("rotate: %d\n%s", p.status, p.body)
	}
	if _, err := e.app.IssueToken(t.Context(), id, secret); err == nil {
		t.Error("the old secret still works after a rotation with no overlap")
	}
	if _, err := e.app.IssueToken(t.Context(), id, sm[1]); err != nil {
		t.Errorf("the new secret: %v", err)
	}
	secret = sm[1]

	// Revoke: confirmed, then the secret is refused.
	p = c.get("/dashboard/settings/api-keys/" + id + "/revoke")
	p = c.post("/dashboard/settings/api-keys/"+id+"/revoke", url.Values{"once": {once(t, p)}})
	if p.path != "/dashboard/settings/api-keys" || !strings.Contains(p.body, "is revoked") {
		t.Errorf("revoke: %d at %s", p.status, p.path)
	}
	if _, err := e.app.IssueToken(t.Context(), id, secret); err == nil {
		t.Error("a revoked key's secret still works")
	}
	// The last write key cannot be revoked: 409, still active.
	p = c.get("/dashboard/settings/api-keys/" + first.ID + "/revoke")
	if p = c.post("/dashboard/settings/api-keys/"+first.ID+"/revoke", url.Values{"once": {once(t, p)}}); p.status != http.StatusConflict {
		t.Errorf("revoking the last write key: %d", p.status)
	}
	if e.clients(e.a)[0].Revoked() {
		t.Error("the last write key was revoked")
	}
}

// Support and finance see the API keys without the forms, and are
// refused each change with 403 and nothing changed; another merchant's
// key is not found.
func TestAPIKeysRefused(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	first, bKey := e.clients(e.a)[0], e.clients(e.b)[0]
	for _, role := range []user.Role{user.Support, user.Finance} {
		c := e.signedIn(string(role)+"@a.example", role)
		p := c.get("/dashboard/settings/api-keys")
		if p.status != 200 || !strings.Contains(p.body, first.ID) || strings.Contains(p.body, `id="create-key"`) || strings.Contains(p.body, "/revoke") || strings.Contains(p.body, "/rotate") {
			t.Errorf("%s: API keys page %d, with forms or change links", role, p.status)
		}
		for _, path := range []string{"/dashboard/settings/api-keys/" + first.ID + "/rotate", "/dashboard/settings/api-keys/" + first.ID + "/revoke"} {
			if p := c.get(path); p.status != http.StatusForbidden {
				t.Errorf("%s: GET %s: %d, want 403", role, path, p.status)
			}
		}
		for path, form := range map[string]url.Values{
			"/dashboard/settings/api-keys":                         {"name": {"Mine"}, "scope": {"write"}},
			"/dashboard/settings/api-keys/" + first.ID + "/rotate": {"overlap": {"0"}},
			"/dashboard/settings/api-keys/" + first.ID + "/revoke": {},
		} {
			form.Set("once", "made-up-once-key")
			if p := c.post(path, form); p.status != http.StatusForbidden || secretField.MatchString(p.body) {
				t.Errorf("%s: POST %s: %d, want 403", role, path, p.status)
			}
		}
	}
	if cs := e.clients(e.a); len(cs) != 1 || cs[0].Revoked() || cs[0].Generation != first.Generation {
		t.Errorf("refused changes changed the keys: %+v", cs)
	}
	if es := e.events("POST /dashboard/settings/api-keys"); len(es) != 2 || es[0].Outcome != "forbidden" {
		t.Errorf("refused creates in the audit log: %+v", es)
	}

	// Merchant a's owner and b's key: not found, and b's key unchanged.
	c := e.signedIn(e.aOwner.Email, user.Owner)
	for _, path := range []string{"/dashboard/settings/api-keys/" + bKey.ID + "/rotate", "/dashboard/settings/api-keys/" + bKey.ID + "/revoke"} {
		if p := c.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s of b's key: %d, want 404", path, p.status)
		}
		o := once(t, c.get("/dashboard/settings/api-keys"))
		if p := c.post(path, url.Values{"overlap": {"0"}, "once": {o}}); p.status != http.StatusNotFound || secretField.MatchString(p.body) {
			t.Errorf("POST %s of b's key: %d, want 404", path, p.status)
		}
	}
	if cs := e.clients(e.b); len(cs) != 1 || cs[0].Revoked() || cs[0].Generation != bKey.Generation {
		t.Errorf("a's owner changed b's key: %+v", cs)
	}
}

// Inviting, changing roles and removing users, with the rules of who may
// give which role: an admin makes no owner and changes none, the last
// owner stays, nobody removes themself; support is refused; another
// merchant's users are not found; bad input changes nothing.
func TestUsersAndRoles(t *testing.T) { bothStores(t, testUsersAndRoles) }

func testUsersAndRoles(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	owner := e.signedIn(e.aOwner.Email, user.Owner)
	invite := func(c *client, email, role string) page {
		t.Helper()
		o := once(t, c.get("/dashboard/settings/users"))
		return c.post("/dashboard/settings/users", url.Values{"email": {email}, "role": {role}, "once": {o}})
	}
	if p := invite(owner, "Admin@A.example", "admin"); p.path != "/dashboard/settings/users" || !strings.Contains(p.body, "We have e-mailed admin@a.example an invitation") {
		t.Fatalf("invite: %d at %s\n%s", p.status, p.path, p.body)
	}
	if got := e.users(e.a)["admin@a.example"]; got != user.Admin {
		t.Errorf("invited user's role %q", got)
	}
	invites := e.events(provider.ActionUserInvite)
	if len(invites) != 1 {
		t.Fatalf("invite events %+v", invites)
	}
	if es := e.events("POST /dashboard/settings/users"); len(es) != 1 || es[0].Target == "" || es[0].Target != invites[0].Target {
		t.Errorf("the invitation form's event %+v: want the invited user, %s, as its target", es, invites[0].Target)
	}
	mails, err := provider.View(t.Context(), e.app, func(tx store.ReadTx) ([]store.Mail, error) { return tx.Mails(t.Context(), e.a, 10) })
	if err != nil || len(mails) != 1 || !slices.Equal(mails[0].To, []string{"admin@a.example"}) {
		t.Errorf("mails queued by the invitation: %+v, %v; want one to admin@a.example", mails, err)
	}
	for _, bad := range [][2]string{{"not an address", "support"}, {"x@a.example", "root"}, {"admin@a.example", "support"}} {
		if p := invite(owner, bad[0], bad[1]); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="error"`) {
			t.Errorf("invite %v: %d, want 400", bad, p.status)
		}
	}
	if n := len(e.users(e.a)); n != 2 {
		t.Errorf("%d users after bad invitations, want 2", n)
	}

	// The admin, signed in: may not make or unmake an owner, nor remove one.
	admin := e.newUser(e.a, "second-admin@a.example", user.Admin)
	ac := e.client()
	ac.signIn(admin.Email, password)
	if p := invite(ac, "owner2@a.example", "owner"); p.status != http.StatusForbidden {
		t.Errorf("admin invites an owner: %d", p.status)
	}
	if p := ac.get("/dashboard/settings/users/" + e.aOwner.ID); strings.Contains(p.body, `value="owner"`) {
		t.Error("an admin is offered the owner role")
	}
	roleForm := func(c *client, id, role string) page {
		t.Helper()
		o := once(t, c.get("/dashboard/settings/users/"+id))
		return c.post("/dashboard/settings/users/"+id+"/role", url.Values{"role": {role}, "once": {o}})
	}
	removeForm := func(c *client, id string) page {
		t.Helper()
		o := once(t, c.get("/dashboard/settings/users/"+id+"/remove"))
		return c.post("/dashboard/settings/users/"+id+"/remove", url.Values{"once": {o}})
	}
	finance := e.newUser(e.a, "finance@a.example", user.Finance)
	if p := roleForm(ac, finance.ID, "owner"); p.status != http.StatusForbidden {
		t.Errorf("admin makes an owner: %d", p.status)
	}
	if p := roleForm(ac, e.aOwner.ID, "support"); p.status != http.StatusForbidden {
		t.Errorf("admin demotes the owner: %d", p.status)
	}
	if p := removeForm(ac, e.aOwner.ID); p.status != http.StatusForbidden {
		t.Errorf("admin removes the owner: %d", p.status)
	}
	if p := roleForm(ac, finance.ID, "support"); p.path != "/dashboard/settings/users" || !strings.Contains(p.body, "finance@a.example is now support") {
		t.Errorf("admin makes finance support: %d at %s", p.status, p.path)
	}
	// The last owner: not demoted, not removed, not by themself either.
	if p := roleForm(owner, e.aOwner.ID, "admin"); p.status != http.StatusConflict {
		t.Errorf("the last owner demotes themself: %d", p.status)
	}
	owner.get("/dashboard/settings/users")
	if p := owner.post("/dashboard/settings/users/"+e.aOwner.ID+"/remove", url.Values{"once": {once(t, owner.get("/dashboard/settings/users/"+admin.ID+"/remove"))}}); p.status != http.StatusConflict {
		t.Errorf("the owner removes themself: %d", p.status)
	}
	if got := e.users(e.a)[e.aOwner.Email]; got != user.Owner {
		t.Errorf("the last owner is %s", got)
	}
	// An owner makes another owner, who may then be demoted.
	if p := roleForm(owner, admin.ID, "owner"); !strings.Contains(p.body, "is now owner") {
		t.Errorf("owner makes an owner: %d", p.status)
	}
	if p := roleForm(owner, admin.ID, "admin"); !strings.Contains(p.body, "is now admin") {
		t.Errorf("owner demotes an owner: %d", p.status)
	}

	// Removing a user ends their session.
	fc := e.client()
	fc.signIn(finance.Email, password)
	if p := removeForm(owner, finance.ID); p.path != "/dashboard/settings/users" || !strings.Contains(p.body, "was removed") {
		t.Errorf("remove: %d at %s", p.status, p.path)
	}
	if _, ok := e.users(e.a)[finance.Email]; ok {
		t.Error("the removed user is still there")
	}
	if p := fc.get("/dashboard"); p.path != "/dashboard/sign-in" {
		t.Errorf("the removed user's session still opens %s", p.path)
	}
	if es := e.events("POST /dashboard/settings/users/{id}/remove"); len(es) != 3 || es[0].Target != finance.ID || es[0].Outcome != audit.OK {
		t.Errorf("remove events %+v", es)
	}

	// Support and finance: see the users, change nothing.
	for _, role := range []user.Role{user.Support, user.Finance} {
		sc := e.signedIn("new-"+string(role)+"@a.example", role)
		if p := sc.get("/dashboard/settings/users"); p.status != 200 || strings.Contains(p.body, `id="invite"`) || !strings.Contains(p.body, e.aOwner.Email) {
			t.Errorf("%s's users page: %d", role, p.status)
		}
		if p := sc.get("/dashboard/settings/users/" + admin.ID); p.status != http.StatusForbidden {
			t.Errorf("%s opens a user's page: %d", role, p.status)
		}
		before := e.users(e.a)
		for path, form := range map[string]url.Values{
			"/dashboard/settings/users":                         {"email": {"s2@a.example"}, "role": {"support"}},
			"/dashboard/settings/users/" + admin.ID + "/role":   {"role": {"support"}},
			"/dashboard/settings/users/" + admin.ID + "/remove": {},
		} {
			form.Set("once", "made-up")
			if p := sc.post(path, form); p.status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", role, path, p.status)
			}
		}
		if after := e.users(e.a); len(after) != len(before) || after[admin.Email] != user.Admin {
			t.Errorf("%s's refused forms changed the users: %v", role, after)
		}
	}

	// Another merchant's user: not found, and unchanged.
	bUser := e.newUser(e.b, "owner@b.example", user.Owner)
	if p := owner.get("/dashboard/settings/users/" + bUser.ID); p.status != http.StatusNotFound {
		t.Errorf("b's user's page: %d", p.status)
	}
	for _, path := range []string{"/dashboard/settings/users/" + bUser.ID + "/role", "/dashboard/settings/users/" + bUser.ID + "/remove"} {
		o := once(t, owner.get("/dashboard/settings/users"))
		if p := owner.post(path, url.Values{"role": {"support"}, "once": {o}}); p.status != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, p.status)
		}
	}
	if got := e.users(e.b)[bUser.Email]; got != user.Owner {
		t.Errorf("b's owner is %q", got)
	}
}

// The audit log lists the merchant's events newest first, filters them,
// pages on and refuses a broken page link; it shows no other merchant's.
func TestAuditLog(t *testing.T) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	ctx := t.Context()
	for i := range 55 {
		e.app.AuditAlone(ctx, audit.Event{MerchantID: e.a, Actor: "cl_test", Action: "test action", Target: "or_" + string(rune('a'+i%26)), Status: 200})
	}
	e.app.AuditAlone(ctx, audit.Event{MerchantID: e.b, Actor: "cl_b", Action: "b's action", Target: "or_b", Status: 200})
	c := e.signedIn("support@a.example", user.Support)
	p := c.get("/dashboard/settings/audit")
	if p.status != 200 || !strings.Contains(p.body, "dashboard sign in") || strings.Contains(p.body, "b&#39;s action") {
		t.Fatalf("audit log: %d\n%s", p.status, p.body)
	}
	p = c.get("/dashboard/settings/audit?action=test+action")
	next := regexp.MustCompile(`id="next" rel="next" href="([^"]*)"`).FindStringSubmatch(p.body)
	if next == nil || strings.Contains(p.body, "dashboard sign in") || strings.Count(p.body, "<td>test action") != 50 {
		t.Fatalf("filtered by action: want 50 and a next link:\n%s", p.body)
	}
	p = c.get(html.UnescapeString(next[1]))
	if n := strings.Count(p.body, "<td>test action"); n != 5 || strings.Contains(p.body, `id="next"`) {
		t.Errorf("second page: %d events", n)
	}
	if p = c.get("/dashboard/settings/audit?target=or_c&actor=cl_test"); strings.Count(p.body, "<td>test action") != 3 {
		t.Errorf("by target and actor: %d events, want 3", strings.Count(p.body, "<td>test action"))
	}
	if p = c.get("/dashboard/settings/audit?from=yesterday"); p.status != http.StatusBadRequest {
		t.Errorf("a bad from: %d", p.status)
	}
	if p = c.get("/dashboard/settings/audit?cursor=yesterday"); p.status != http.StatusBadRequest || strings.Contains(p.body, "<td>test action") {
		t.Errorf("broken page link: %d", p.status)
	}
}

// The credit policy and invoice settings forms save what they are
// given; a value the use case refuses shows the form again, with what
// was typed and a message, and saves nothing; support and finance are
// refused.
func TestSettingsForms(t *testing.T) { bothStores(t, testSettingsForms) }

func testSettingsForms(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	c := e.signedIn(e.aOwner.Email, user.Owner)
	credit := func() *provider.CreditPolicy {
		p, err := provider.View(t.Context(), e.app, func(tx store.ReadTx) (*provider.CreditPolicy, error) {
			return e.app.CreditPolicy(t.Context(), tx, e.a)
		})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := c.get("/dashboard/settings/credit")
	if p.status != 200 || !strings.Contains(p.body, `id="save"`) {
		t.Fatalf("credit page: %d", p.status)
	}
	form := url.Values{"creditLimits": {"SEK 50 000.00\neur 4000"}, "signatoryAbove": {"SEK 20000"}, "blocklist": {"556677-8899"},
		"orderEdits": {"refuse"}, "provider": {"rules"}, "paymentTerms": {"20"}, "once": {once(t, p)}}
	if p = c.post("/dashboard/settings/credit", form); p.path != "/dashboard/settings/credit" || !strings.Contains(p.body, "The credit policy is saved") {
		t.Fatalf("save credit policy: %d at %s\n%s", p.status, p.path, p.body)
	}
	got := credit()
	if got.CreditLimits["SEK"] != 5_000_000 || got.CreditLimits["EUR"] != 400_000 || got.SignatoryAbove["SEK"] != 2_000_000 ||
		len(got.Blocklist) != 1 || got.OrderEdits != "refuse" || *got.PaymentTerms != 20 || got.Version != 1 {
		t.Errorf("saved policy %+v", got)
	}
	if !strings.Contains(p.body, "SEK 50000.00") {
		t.Error("the saved limit is not shown")
	}
	for _, bad := range []url.Values{{"creditLimits": {"kronor 5"}}, {"creditLimits": {"SEK 5.001"}}, {"orderEdits": {"maybe"}}, {"provider": {"creditService"}}, {"paymentTerms": {"400"}}} {
		f := url.Values{"orderEdits": {"refuse"}, "provider": {"rules"}, "paymentTerms": {"20"}, "once": {once(t, c.get("/dashboard/settings/credit"))}}
		for k, v := range bad {
			f[k] = v
		}
		if p = c.post("/dashboard/settings/credit", f); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="error"`) {
			t.Errorf("credit %v: %d, want 400", bad, p.status)
		}
	}
	if p = c.post("/dashboard/settings/credit", url.Values{"creditLimits": {"kronor 5"}, "once": {once(t, c.get("/dashboard/settings/credit"))}}); !strings.Contains(p.body, "kronor 5") {
		t.Error("the refused form lost what was typed")
	}
	if v := credit().Version; v != 1 {
		t.Errorf("refused forms saved: version %d", v)
	}

	// Invoice settings.
	p = c.get("/dashboard/settings/invoice")
	inv := url.Values{"seller.name": {"Möbler AB"}, "seller.country": {"se"}, "seller.city": {"Malmö"}, "fTax": {"on"}, "paymentTerms": {"15"},
		"bankgiro": {"5050-1055"}, "firstNumber": {"1000"}, "once": {once(t, p)}}
	if p = c.post("/dashboard/settings/invoice", inv); p.path != "/dashboard/settings/invoice" || !strings.Contains(p.body, "The invoice settings are saved") {
		t.Fatalf("save invoice settings: %d at %s\n%s", p.status, p.path, p.body)
	}
	st, err := provider.View(t.Context(), e.app, func(tx store.ReadTx) (*invoice.Settings, error) { return e.app.InvoiceSettings(t.Context(), tx, e.a) })
	if err != nil || st.Seller.Name != "Möbler AB" || st.Seller.Country != "SE" || !st.FTax || st.PaymentTerms != 15 || st.FirstNumber != 1000 || st.Bankgiro == "" {
		t.Errorf("saved invoice settings %+v, %v", st, err)
	}
	inv.Set("bankgiro", "123")
	inv.Set("seller.name", "Changed AB")
	inv.Set("once", once(t, c.get("/dashboard/settings/invoice")))
	if p = c.post("/dashboard/settings/invoice", inv); p.status != http.StatusBadRequest || !strings.Contains(p.body, "bankgiro") || !strings.Contains(p.body, `value="Changed AB"`) {
		t.Errorf("bad bankgiro: %d", p.status)
	}
	if st, _ := provider.View(t.Context(), e.app, func(tx store.ReadTx) (*invoice.Settings, error) { return e.app.InvoiceSettings(t.Context(), tx, e.a) }); st.Seller.Name != "Möbler AB" {
		t.Errorf("a refused form saved the name %q", st.Seller.Name)
	}

	// Support and finance: the pages without a save button; refused.
	for _, role := range []user.Role{user.Support, user.Finance} {
		rc := e.signedIn(string(role)+"@a.example", role)
		for _, path := range []string{"/dashboard/settings/credit", "/dashboard/settings/invoice"} {
			if p := rc.get(path); p.status != 200 || strings.Contains(p.body, `id="save"`) {
				t.Errorf("%s at %s: %d, with a save button", role, path, p.status)
			}
			if p := rc.post(path, url.Values{"paymentTerms": {"99"}, "seller.name": {"Taken AB"}, "once": {"made-up"}}); p.status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", role, path, p.status)
			}
		}
	}
	if v := credit(); v.Version != 1 || *v.PaymentTerms != 15 {
		t.Errorf("refused roles changed the policy: %+v", v)
	}
}

// Two-step sign-in turned off: by its user with a code the app shows
// now, or, for a lost phone, by an owner or admin who may manage the
// user, which ends the user's sessions. Support may not; an admin may
// not for an owner; a wrong code changes nothing.
func TestTwoStepOff(t *testing.T) { bothStores(t, testTwoStepOff) }

func testTwoStepOff(t *testing.T, newEnv envMaker) {
	e := newEnv(t, "", "Möbler AB", "Köpare AB")
	ctx := t.Context()
	on := func(u *user.User) string {
		t.Helper()
		secret, _, err := e.app.BeginTOTP(ctx, u.ID)
		if err == nil {
			err = e.app.ConfirmTOTP(ctx, u.ID, user.TOTPCode(secret, e.clock.Now()))
		}
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	enabled := func(u *user.User) bool {
		t.Helper()
		got, err := provider.View(ctx, e.app, func(tx store.ReadTx) (*user.User, error) { return tx.User(ctx, u.ID) })
		if err != nil {
			t.Fatal(err)
		}
		return got.TOTPEnabled
	}
	signIn := func(email, secret string) *client {
		t.Helper()
		c := e.client()
		c.signIn(email, password)
		c.post("/dashboard/totp", url.Values{"code": {user.TOTPCode(secret, e.clock.Now())}})
		return c
	}

	// Its own user, with a code.
	admin := e.newUser(e.a, "admin@a.example", user.Admin)
	adminKey := on(admin)
	e.clock.Advance(30 * time.Second)
	c := signIn("admin@a.example", adminKey)
	e.clock.Advance(30 * time.Second)
	if p := c.post("/dashboard/two-step/off", url.Values{"code": {"000000"}}); p.status != http.StatusBadRequest || !enabled(admin) {
		t.Errorf("a wrong code: %d, on %v", p.status, enabled(admin))
	}
	if p := c.post("/dashboard/two-step/off", url.Values{"code": {user.TOTPCode(adminKey, e.clock.Now())}}); !strings.Contains(p.body, "Two-step sign-in is off.") || enabled(admin) {
		t.Errorf("the right code: %d, on %v", p.status, enabled(admin))
	}
	if es := e.events(provider.ActionTOTPOff); len(es) != 1 || es[0].Actor != provider.ActorOfUser(admin) {
		t.Errorf("turn-off events %+v", es)
	}

	// Another user's, reset: finance lost their phone.
	fin := e.newUser(e.a, "finance@a.example", user.Finance)
	finKey := on(fin)
	e.clock.Advance(30 * time.Second)
	lost := signIn("finance@a.example", finKey)
	path := "/dashboard/settings/users/" + fin.ID + "/reset-two-step"
	e.newUser(e.a, "support@a.example", user.Support)
	sc := e.client()
	sc.signIn("support@a.example", password)
	if p := sc.get(path); p.status != http.StatusForbidden {
		t.Errorf("support opening the reset: %d", p.status)
	}
	ac := e.client()
	ac.signIn("admin@a.example", password)
	p := ac.get(path)
	if p.status != http.StatusOK {
		t.Fatalf("the reset's page: %d\n%s", p.status, p.body)
	}
	form := url.Values{"once": {once(t, p)}}
	if p = ac.post(path, form); p.path != "/dashboard/settings/users" || enabled(fin) {
		t.Errorf("the reset: at %s (%d), on %v", p.path, p.status, enabled(fin))
	}
	if p := lost.get("/dashboard"); p.path != "/dashboard/sign-in" {
		t.Errorf("finance's session after the reset: at %s", p.path)
	}
	if es := e.events("POST /dashboard/settings/users/{id}/reset-two-step"); len(es) != 1 || es[0].Target != fin.ID || es[0].Actor != provider.ActorOfUser(admin) {
		t.Errorf("reset events %+v", es)
	}
	// An admin may not reset an owner's.
	on(e.aOwner)
	ownerPath := "/dashboard/settings/users/" + e.aOwner.ID + "/reset-two-step"
	if p := ac.post(ownerPath, url.Values{"once": {once(t, ac.get(ownerPath))}}); p.status != http.StatusForbidden || !enabled(e.aOwner) {
		t.Errorf("an admin resetting an owner's: %d, on %v", p.status, enabled(e.aOwner))
	}
}
