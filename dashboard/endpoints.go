package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/notify"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/user"
)

// The notification endpoints' page. A new endpoint's signing secret, and
// a rotated one, is shown once, on the page that answers the form that
// made it (actShow, as API keys' secrets are); a form sent again (a
// double click, the back button) is a replay that act answers without
// running the change, so without the secret. The page is never cached
// (render).

// endpointsForm is the new endpoint form as sent, shown again with an
// error.
type endpointsForm struct {
	URL   string
	Types []string
}

type endpointsView struct {
	Rows      []endpointRow
	Types     []string
	Form      endpointsForm
	MayManage bool
	// Reveal is the secret just made, shown once.
	Reveal *revealed
}

type revealed struct{ ID, URL, Secret string }

type endpointRow struct {
	ID, URL, Types, Reason string
	Created, Rotated       time.Time
	PreviousUntil          time.Time
	Disabled               bool
	DisabledAt             time.Time
	FailingSince           time.Time
}

// disabledText names why Kassa disabled an endpoint.
var disabledText = map[string]string{
	notify.DisabledGone:       "it answered 410 Gone",
	notify.DisabledFailing:    "every attempt failed for days",
	notify.DisabledByMerchant: "disabled in the dashboard",
}

// endpointsPage is the endpoints page with the merchant's endpoints.
func (s *Server) endpointsPage(w http.ResponseWriter, r *http.Request) (page, *endpointsView, error) {
	p, err := s.viewer(w, r, "Notification endpoints")
	v := &endpointsView{Types: notify.Types}
	p.Data = v
	if err != nil {
		return p, v, err
	}
	v.MayManage = p.User.Role.Can(user.ManageSettings)
	p.Once = newOnce()
	ctx := r.Context()
	var es []notify.Endpoint
	err = s.app.View(ctx, func(tx store.ReadTx) (err error) {
		es, err = tx.NotificationEndpoints(ctx, p.User.MerchantID)
		return err
	})
	if err != nil {
		return p, v, err
	}
	for _, e := range es {
		row := endpointRow{ID: e.ID, URL: e.URL, Types: "All types", Created: e.CreatedAt.UTC(), Rotated: e.RotatedAt.UTC(),
			Disabled: e.Disabled(), DisabledAt: e.DisabledAt.UTC(), Reason: disabledText[e.DisabledReason], FailingSince: e.FailingSince.UTC()}
		if len(e.EventTypes) > 0 {
			row.Types = strings.Join(e.EventTypes, ", ")
		}
		if e.PreviousUntil.After(s.app.Now()) {
			row.PreviousUntil = e.PreviousUntil.UTC()
		}
		v.Rows = append(v.Rows, row)
	}
	return p, v, nil
}

func (s *Server) handleEndpoints(w http.ResponseWriter, r *http.Request) {
	p, _, err := s.endpointsPage(w, r)
	if err != nil {
		s.fail(w, r, "endpoints", p, err)
		return
	}
	s.render(w, r, http.StatusOK, "endpoints", p)
}

const endpointsPath = "/dashboard/notifications/endpoints"

func (s *Server) handleEndpointCreate(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	form := endpointsForm{URL: strings.TrimSpace(r.PostFormValue("url")), Types: r.PostForm["type"]}
	var made *notify.Endpoint
	c := &change{Need: user.ManageSettings}
	c.Run = func(ctx context.Context, tx store.Tx) (string, string, error) {
		e, err := s.app.CreateEndpoint(ctx, tx, current(ctx).MerchantID, form.URL, form.Types)
		if err != nil {
			return "", "", err
		}
		made, c.Target = e, e.ID
		return endpointsPath, "The endpoint " + e.ID + " is added.", nil
	}
	err := s.actShow(w, r, c, func() { s.showEndpointSecret(w, r, made, "The endpoint "+made.ID+" is added.") })
	if err != nil {
		p, v, perr := s.endpointsPage(w, r)
		if perr != nil {
			err = perr
		}
		v.Form = form
		s.fail(w, r, "endpoints", p, err)
	}
}

// showEndpointSecret answers a form that made e's secret: the endpoints
// page, with the secret shown this once.
func (s *Server) showEndpointSecret(w http.ResponseWriter, r *http.Request, e *notify.Endpoint, notice string) {
	p, v, err := s.endpointsPage(w, r)
	if err != nil {
		s.fail(w, r, "endpoints", p, err)
		return
	}
	p.Notice, v.Reveal = notice, &revealed{ID: e.ID, URL: e.URL, Secret: e.Secret}
	s.render(w, r, http.StatusOK, "endpoints", p)
}

// endpointChange is a change of one endpoint: its confirmation page and
// its form.
type endpointChange struct {
	path, title, button, what string
	danger                    bool
	run                       func(s *Server, ctx context.Context, tx store.Tx, merchantID, id string) (*notify.Endpoint, error)
	notice                    string
	reveals                   bool
}

var endpointChanges = map[string]endpointChange{
	"rotate": {
		path: "rotate", title: "Rotate the signing secret", button: "Rotate the secret",
		what: "Kassa makes a new signing secret for this endpoint and shows it to you once. For the next " + strconv.Itoa(int(notify.DefaultOverlap.Hours())) +
			" hours it signs each notification with both the new and the old secret, so that your receiver keeps verifying while you replace the secret in its configuration.",
		run: func(s *Server, ctx context.Context, tx store.Tx, merchantID, id string) (*notify.Endpoint, error) {
			return s.app.RotateEndpointSecret(ctx, tx, merchantID, id, notify.DefaultOverlap)
		},
		notice: "The secret is rotated.", reveals: true,
	},
	"enable": {
		path: "enable", title: "Enable the endpoint", button: "Enable",
		what: "Kassa sends this endpoint its new notifications again, with its failure streak cleared. The notifications that failed while it was disabled stay failed: redeliver them from the notification log.",
		run: func(s *Server, ctx context.Context, tx store.Tx, merchantID, id string) (*notify.Endpoint, error) {
			return s.app.EnableEndpoint(ctx, tx, merchantID, id)
		},
		notice: "The endpoint is enabled.",
	},
	"disable": {
		path: "disable", title: "Disable the endpoint", button: "Disable",
		what: "Kassa stops sending notifications to this endpoint until you enable it again; it keeps its URL, types and secret. The deliveries waiting for it, and the notifications made meanwhile, fail: redeliver them from the notification log once it is enabled.",
		run: func(s *Server, ctx context.Context, tx store.Tx, merchantID, id string) (*notify.Endpoint, error) {
			return s.app.DisableEndpoint(ctx, tx, merchantID, id)
		},
		notice: "The endpoint is disabled.",
	},
	"delete": {
		path: "delete", title: "Delete the endpoint", button: "Delete the endpoint", danger: true,
		what: "Kassa stops sending notifications to this endpoint and removes it; the deliveries still waiting for it fail. Its delivery logs stay in the notification log. This cannot be undone: to receive notifications there again, add the endpoint anew, with a new secret.",
		run: func(_ *Server, ctx context.Context, tx store.Tx, merchantID, id string) (*notify.Endpoint, error) {
			return nil, tx.DeleteNotificationEndpoint(ctx, merchantID, id)
		},
		notice: "The endpoint is deleted.",
	},
}

// handleEndpointPage is an endpoint change's confirmation page.
func (s *Server) handleEndpointPage(c endpointChange) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, v, err := s.endpointsPage(w, r)
		var row *endpointRow
		if err == nil {
			i := slices.IndexFunc(v.Rows, func(e endpointRow) bool { return e.ID == r.PathValue("id") })
			if i < 0 {
				p.Data, err = nil, kassa.Errorf(kassa.ENotFound, "notification endpoint %s was not found", kassa.Clip(r.PathValue("id"), 64))
			} else {
				row = &v.Rows[i]
			}
		}
		if err != nil {
			s.fail(w, r, "message", p, err)
			return
		}
		p.Title = c.title
		s.confirm(w, r, p, user.ManageSettings, confirmView{
			What:   "Endpoint " + row.ID + " (" + row.URL + "). " + c.what,
			Action: endpointsPath + "/" + row.ID + "/" + c.path, Button: c.button, Back: endpointsPath, Danger: c.danger,
		})
	}
}

// handleEndpointChange runs an endpoint change's form; one that makes a
// secret answers with it, shown once.
func (s *Server) handleEndpointChange(c endpointChange) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		var changed *notify.Endpoint
		ch := &change{Need: user.ManageSettings, Target: id, Run: func(ctx context.Context, tx store.Tx) (string, string, error) {
			e, err := c.run(s, ctx, tx, current(ctx).MerchantID, id)
			changed = e
			return endpointsPath, c.notice, err
		}}
		var err error
		if c.reveals {
			err = s.actShow(w, r, ch, func() { s.showEndpointSecret(w, r, changed, c.notice) })
		} else {
			err = s.act(w, r, ch)
		}
		if err != nil {
			p, _, perr := s.endpointsPage(w, r)
			if perr != nil {
				err = perr
			}
			s.fail(w, r, "endpoints", p, err)
		}
	}
}

// Checked says whether the new endpoint form had type t ticked.
func (v *endpointsView) Checked(t string) bool { return slices.Contains(v.Form.Types, t) }
