package dashboard

// The settings section (docs/dashboard.md, "Settings"): the merchant's API
// keys, its users and their roles, the audit log, the credit policy and
// the invoice settings. Every role sees the pages; the forms that change
// something are shown, and taken, only from the roles that may
// (user.Role.Can), through act.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/audit"
	"github.com/kassa-pay/kassa/merchant"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

const (
	settingsPath = "/dashboard/settings"
	apiKeysPath  = settingsPath + "/api-keys"
	usersPath    = settingsPath + "/users"
	auditPath    = settingsPath + "/audit"
)

func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Settings")
	if err != nil {
		s.fail(w, r, "settings", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings", p)
}

// API keys.

// clientRow is an API client as the API keys page shows it.
type clientRow struct {
	ID, Name, Scope, State string
	Active                 bool
	Created, Rotated       time.Time
	PreviousUntil, Revoked time.Time
}

func clientRowOf(c *merchant.Client) clientRow {
	row := clientRow{ID: c.ID, Name: c.Name, Scope: string(c.Scope), State: "Active", Active: !c.Revoked(),
		Created: c.CreatedAt.UTC(), Rotated: c.RotatedAt.UTC(), PreviousUntil: c.PreviousUntil.UTC(), Revoked: c.RevokedAt.UTC()}
	if c.Revoked() {
		row.State = "Revoked"
	}
	return row
}

// apiKeysView is the API keys page: the merchant's clients, the create
// form as sent (after an error) and whether the user may change them.
type apiKeysView struct {
	Clients     []clientRow
	Name, Scope string
	CanManage   bool
}

// apiKeyView is a page about one API client: the confirmation of a
// rotation or revocation, or the secret just made.
type apiKeyView struct {
	Client   clientRow
	Overlaps []option
	Secret   string
	Rotated  bool
}

// overlaps are a rotation's choices of how long the replaced secret
// still works, in seconds; the first is the default (merchant.DefaultOverlap).
var overlaps = []option{
	{strconv.Itoa(int(merchant.DefaultOverlap.Seconds())), "1 day"},
	{"0", "No overlap: it stops at once"},
	{"3600", "1 hour"},
	{strconv.Itoa(int(merchant.MaxOverlap.Seconds())), "7 days"},
}

// apiKeysPage is the API keys page with the merchant's clients.
func (s *Server) apiKeysPage(w http.ResponseWriter, r *http.Request) (page, error) {
	p, err := s.viewer(w, r, "API keys")
	v := &apiKeysView{Scope: string(merchant.ScopeWrite)}
	p.Data = v
	if err != nil {
		return p, err
	}
	v.CanManage = p.User.Role.Can(user.ManageAPIKeys)
	if v.CanManage {
		p.Once = newOnce()
	}
	ctx := r.Context()
	cs, err := provider.View(ctx, s.app, func(tx store.ReadTx) ([]merchant.Client, error) {
		return s.app.Clients(ctx, tx, p.User.MerchantID)
	})
	for i := range cs {
		v.Clients = append(v.Clients, clientRowOf(&cs[i]))
	}
	return p, err
}

func (s *Server) handleAPIKeys(w http.ResponseWriter, r *http.Request) {
	p, err := s.apiKeysPage(w, r)
	if err != nil {
		s.fail(w, r, "settings-api-keys", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings-api-keys", p)
}

// showSecret renders the page that shows c's new secret, the one time
// it is shown.
func (s *Server) showSecret(w http.ResponseWriter, r *http.Request, p page, c *merchant.Client, secret string, rotated bool) {
	p.Title, p.Once = "Your new API key", ""
	if rotated {
		p.Title = "The API key's new secret"
	}
	p.Data = &apiKeyView{Client: clientRowOf(c), Secret: secret, Rotated: rotated}
	s.render(w, r, http.StatusOK, "settings-api-key-secret", p)
}

func (s *Server) handleAPIKeyCreate(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "API keys")
	name, scope := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("scope")
	var (
		c      *merchant.Client
		secret string
	)
	if err == nil {
		ch := &change{Need: user.ManageAPIKeys}
		ch.Run = func(ctx context.Context, tx store.Tx) (string, string, error) {
			sc, err := merchant.ParseScope(scope)
			if err != nil {
				return "", "", err
			}
			if c, secret, err = s.app.CreateClient(ctx, tx, p.User.MerchantID, name, sc); err != nil {
				return "", "", err
			}
			ch.Target = c.ID
			return apiKeysPath, "The API key " + c.Name + " (" + c.ID + ") was created; its secret was shown once.", nil
		}
		err = s.actShow(w, r, ch, func() { s.showSecret(w, r, p, c, secret, false) })
	}
	if err != nil {
		q, _ := s.apiKeysPage(w, r)
		if v, ok := q.Data.(*apiKeysView); ok {
			v.Name, v.Scope = name, scope
		}
		s.fail(w, r, "settings-api-keys", q, err)
	}
}

// apiKeyPage is the confirmation page of a change to the merchant's
// client {id}: for a user who may make it, and a client of theirs.
func (s *Server) apiKeyPage(w http.ResponseWriter, r *http.Request, title string) (page, error) {
	p, err := s.viewer(w, r, title)
	v := &apiKeyView{Overlaps: overlaps}
	p.Data = v
	if err == nil {
		err = p.User.Role.Permit(user.ManageAPIKeys)
	}
	if err != nil {
		return p, err
	}
	ctx := r.Context()
	c, err := provider.View(ctx, s.app, func(tx store.ReadTx) (*merchant.Client, error) {
		cs, err := s.app.Clients(ctx, tx, p.User.MerchantID)
		if err != nil {
			return nil, err
		}
		return merchant.Find(cs, r.PathValue("id"))
	})
	if err != nil {
		return p, err
	}
	v.Client, p.Once = clientRowOf(c), newOnce()
	return p, nil
}

func (s *Server) handleAPIKeyRotatePage(w http.ResponseWriter, r *http.Request) {
	p, err := s.apiKeyPage(w, r, "Rotate an API key's secret")
	if err != nil {
		s.fail(w, r, "settings-api-key-rotate", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings-api-key-rotate", p)
}

func (s *Server) handleAPIKeyRotate(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Rotate an API key's secret")
	id := r.PathValue("id")
	var (
		c      *merchant.Client
		secret string
	)
	if err == nil {
		err = s.actShow(w, r, &change{Need: user.ManageAPIKeys, Target: id, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
			sec, err := strconv.Atoi(r.PostFormValue("overlap"))
			if err != nil {
				return "", "", kassa.Invalid("overlap", "Choose how long the current secret keeps working from the list.")
			}
			if c, secret, err = s.app.RotateClient(ctx, tx, p.User.MerchantID, id, time.Duration(sec)*time.Second); err != nil {
				return "", "", err
			}
			return apiKeysPath, "The API key " + c.Name + " (" + c.ID + ") has a new secret; it was shown once.", nil
		}}, func() { s.showSecret(w, r, p, c, secret, true) })
	}
	if err != nil {
		q, qerr := s.apiKeyPage(w, r, p.Title)
		if qerr != nil {
			err = qerr // a client not the merchant's is not found, whatever else
		}
		s.fail(w, r, "settings-api-key-rotate", q, err)
	}
}

func (s *Server) handleAPIKeyRevokePage(w http.ResponseWriter, r *http.Request) {
	p, err := s.apiKeyPage(w, r, "Revoke an API key")
	if err != nil {
		s.fail(w, r, "settings-api-key-revoke", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings-api-key-revoke", p)
}

func (s *Server) handleAPIKeyRevoke(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Revoke an API key")
	id := r.PathValue("id")
	if err == nil {
		err = s.act(w, r, &change{Need: user.ManageAPIKeys, Target: id, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
			c, err := s.app.RevokeClient(ctx, tx, p.User.MerchantID, id)
			if err != nil {
				return "", "", err
			}
			return apiKeysPath, "The API key " + c.Name + " (" + c.ID + ") is revoked: its secrets and tokens no longer work.", nil
		}})
	}
	if err != nil {
		q, qerr := s.apiKeyPage(w, r, p.Title)
		if qerr != nil {
			err = qerr
		}
		s.fail(w, r, "settings-api-key-revoke", q, err)
	}
}

// Users and roles.

// userRow is a user as the users pages show them.
type userRow struct {
	ID, Email, Role string
	TwoStep, Self   bool
	Created         time.Time
}

func userRowOf(u *user.User, me *user.User) userRow {
	return userRow{ID: u.ID, Email: u.Email, Role: string(u.Role), TwoStep: u.TOTPEnabled, Self: u.ID == me.ID, Created: u.CreatedAt.UTC()}
}

// usersView is the users page, or one user's page: the users, the
// invitation form as sent (after an error), the roles the signed-in
// user may give and whether they manage users.
type usersView struct {
	Users       []userRow
	User        userRow
	Email, Role string
	Roles       []option
	CanManage   bool
}

// grantable are the roles u may give, as a select's choices.
func grantable(u *user.User) []option {
	var os []option
	for _, r := range user.Roles {
		if u.Role.MayGrant(r) {
			os = append(os, option{string(r), roleText[r]})
		}
	}
	return os
}

// roleText says what each role may do, for the role choices.
var roleText = map[user.Role]string{
	user.Owner:   "Owner: everything, including owners",
	user.Admin:   "Admin: everything but owners",
	user.Finance: "Finance: orders and money",
	user.Support: "Support: reads only",
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) (page, error) {
	p, err := s.viewer(w, r, "Users and roles")
	v := &usersView{Role: string(user.Support)}
	p.Data = v
	if err != nil {
		return p, err
	}
	v.CanManage = p.User.Role.Can(user.ManageUsers)
	if v.CanManage {
		p.Once, v.Roles = newOnce(), grantable(p.User)
	}
	ctx := r.Context()
	us, err := provider.View(ctx, s.app, func(tx store.ReadTx) ([]user.User, error) { return tx.Users(ctx, p.User.MerchantID) })
	for i := range us {
		v.Users = append(v.Users, userRowOf(&us[i], p.User))
	}
	return p, err
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	p, err := s.usersPage(w, r)
	if err != nil {
		s.fail(w, r, "settings-users", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings-users", p)
}

func (s *Server) handleUserInvite(w http.ResponseWriter, r *http.Request) {
	u := current(r.Context())
	email, role := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("role")
	ch := &change{Need: user.ManageUsers}
	ch.Run = func(ctx context.Context, tx store.Tx) (string, string, error) {
		ro, err := user.ParseRole(role)
		if err != nil {
			return "", "", err
		}
		invited, err := s.app.Invite(ctx, tx, u, email, ro)
		if err != nil {
			return "", "", err
		}
		ch.Target = invited.ID
		return usersPath, "We have e-mailed " + invited.Email + " an invitation to join as " + string(invited.Role) + ".", nil
	}
	if err := s.act(w, r, ch); err != nil {
		p, _ := s.usersPage(w, r)
		if v, ok := p.Data.(*usersView); ok {
			v.Email, v.Role = email, role
		}
		s.fail(w, r, "settings-users", p, err)
	}
}

// userPage is the page of the merchant's user {id}, for a user who
// manages users.
func (s *Server) userPage(w http.ResponseWriter, r *http.Request, title string) (page, error) {
	p, err := s.viewer(w, r, title)
	v := &usersView{}
	p.Data = v
	if err == nil {
		err = p.User.Role.Permit(user.ManageUsers)
	}
	if err != nil {
		return p, err
	}
	ctx := r.Context()
	u, err := provider.View(ctx, s.app, func(tx store.ReadTx) (*user.User, error) {
		u, err := tx.User(ctx, r.PathValue("id"))
		if err == nil && u.MerchantID != p.User.MerchantID {
			err = kassa.Errorf(kassa.ENotFound, "This user was not found.")
		}
		return u, err
	})
	if err != nil {
		return p, err
	}
	v.User, v.Role, v.Roles, v.CanManage, p.Once = userRowOf(u, p.User), string(u.Role), grantable(p.User), true, newOnce()
	return p, nil
}

// userChange is a change of one user: the page that asks for it (the
// user's page for a role, a confirmation for the others) and its form.
type userChange struct {
	page, title string // the template and the title of the page that asks
	run         func(s *Server, ctx context.Context, tx store.Tx, by *user.User, id string, r *http.Request) (*user.User, error)
	notice      func(u *user.User) string
}

// userChanges are the users page's changes, by the last part of their
// path.
var userChanges = map[string]userChange{
	"role": {
		page: "settings-user", title: "A user's role",
		run: func(s *Server, ctx context.Context, tx store.Tx, by *user.User, id string, r *http.Request) (*user.User, error) {
			return s.app.ChangeUserRole(ctx, tx, by, id, user.Role(r.PostFormValue("role")))
		},
		notice: func(u *user.User) string { return u.Email + " is now " + string(u.Role) + "." },
	},
	"remove": {
		page: "settings-user-remove", title: "Remove a user",
		run: func(s *Server, ctx context.Context, tx store.Tx, by *user.User, id string, _ *http.Request) (*user.User, error) {
			return s.app.RemoveUser(ctx, tx, by, id)
		},
		notice: func(u *user.User) string { return u.Email + " was removed: they can no longer sign in." },
	},
	"reset-two-step": {
		page: "settings-user-reset-two-step", title: "Reset two-step sign-in",
		run: func(s *Server, ctx context.Context, tx store.Tx, by *user.User, id string, _ *http.Request) (*user.User, error) {
			return s.app.ResetTOTP(ctx, tx, by, id)
		},
		notice: func(u *user.User) string {
			return u.Email + "'s two-step sign-in is off: they sign in with their password, and can set it up again."
		},
	},
}

// handleUserPage is the page that asks for a user change.
func (s *Server) handleUserPage(c userChange) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.userPage(w, r, c.title)
		if err != nil {
			s.fail(w, r, c.page, p, err)
			return
		}
		s.render(w, r, http.StatusOK, c.page, p)
	}
}

// handleUserChange runs a user change's form.
func (s *Server) handleUserChange(c userChange) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		by, id := current(r.Context()), r.PathValue("id")
		err := s.act(w, r, &change{Need: user.ManageUsers, Target: id, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
			u, err := c.run(s, ctx, tx, by, id, r)
			if err != nil {
				return "", "", err
			}
			return usersPath, c.notice(u), nil
		}})
		if err != nil {
			p, perr := s.userPage(w, r, c.title)
			if perr != nil {
				err = perr
			}
			s.fail(w, r, c.page, p, err)
		}
	}
}

// The audit log.

// auditPage is how many events a page of the audit log shows.
const auditPage = 50

// auditForm is the audit log's filters as the form sent them.
type auditForm struct{ Actor, Action, Target string }

// auditRow is an event as the audit log shows it.
type auditRow struct {
	At                             time.Time
	Actor, Action, Target, Outcome string
	Status                         int
	Source, RequestID              string
	Replay                         bool
}

type auditView struct {
	Form   auditForm
	Events []auditRow
	Next   string
}

// auditFilter reads the audit log's query into the store's filter, as
// GET /v1/audit-events reads its own (provider.AuditFilterOf).
func auditFilter(q url.Values) (auditForm, store.AuditFilter, error) {
	form := auditForm{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target")}
	f, err := provider.AuditFilterOf(q)
	f.Limit = auditPage + 1
	return form, f, err
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	p, err := s.viewer(w, r, "Audit log")
	v := &auditView{}
	p.Data = v
	if err == nil {
		err = p.User.Role.Permit(user.ViewAudit)
	}
	var f store.AuditFilter
	if err == nil {
		v.Form, f, err = auditFilter(r.URL.Query())
	}
	var es []audit.Event
	if err == nil {
		ctx := r.Context()
		es, err = provider.View(ctx, s.app, func(tx store.ReadTx) ([]audit.Event, error) {
			return tx.AuditEvents(ctx, p.User.MerchantID, f)
		})
	}
	if err != nil {
		s.fail(w, r, "settings-audit", p, err)
		return
	}
	if len(es) > auditPage {
		es = es[:auditPage]
		v.Next = nextLink(auditPath, r.URL.Query(), provider.AuditCursor(es[auditPage-1]))
	}
	for _, e := range es {
		v.Events = append(v.Events, auditRow{At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Target: e.Target, Outcome: e.Outcome,
			Status: e.Status, Source: e.Source, RequestID: e.RequestID, Replay: e.Replay})
	}
	s.render(w, r, http.StatusOK, "settings-audit", p)
}
