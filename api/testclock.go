package api

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/provider"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// testClockView is a sandbox merchant's test clock on the wire.
type testClockView struct {
	Now           time.Time `json:"now"`
	OffsetSeconds int64     `json:"offsetSeconds"`
}

func viewOfClock(c provider.TestClock) testClockView {
	return testClockView{Now: c.Now.UTC(), OffsetSeconds: int64(c.Offset / time.Second)}
}

// advanceIn moves a test clock: seconds forward, or to a time.
type advanceIn struct {
	Seconds wire.Int `json:"seconds"`
	To      wire.Str `json:"to"`
}

func (s *Server) handleTestClockGet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := provider.View(ctx, s.app, func(tx store.ReadTx) (provider.TestClock, error) {
		return s.app.TestClockOf(ctx, tx, principal(r).MerchantID)
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, viewOfClock(c))
	return nil
}

// handleTestClockAdvance moves the clock, then does the merchant's work
// that it made due before answering, so that the answer finds it done.
func (s *Server) handleTestClockAdvance(w http.ResponseWriter, r *http.Request) error {
	var in advanceIn
	body, err := wire.ReadJSON(r, &in)
	if err != nil {
		return err
	}
	var a provider.Advance
	switch {
	case in.To != "" && in.Seconds.Set:
		return kassa.Invalid("to", "give seconds or to, not both")
	case in.To != "":
		if a.To, err = time.Parse(time.RFC3339Nano, string(in.To)); err != nil {
			return kassa.Invalid("to", "to must be an RFC 3339 time, such as 2026-01-31T12:00:00Z")
		}
	case !in.Seconds.Set:
		return kassa.Invalid("seconds", "give seconds (how far to move the clock) or to (an RFC 3339 time)")
	case in.Seconds.Rounded || in.Seconds.V <= 0 || in.Seconds.V > int64(provider.MaxTestClockOffset/time.Second):
		return kassa.Invalid("seconds", "seconds must be a positive whole number, at most %d", int64(provider.MaxTestClockOffset/time.Second))
	default:
		a.By = time.Duration(in.Seconds.V) * time.Second
	}
	merchantID := principal(r).MerchantID
	held := &heldAnswer{header: w.Header()}
	err = s.mutation(held, r, body, func(ctx context.Context, tx store.Tx) (int, any, error) {
		c, err := s.app.AdvanceTestClock(ctx, tx, merchantID, a)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, viewOfClock(c), nil
	})
	if err != nil {
		return err
	}
	if err := s.app.CatchUp(r.Context(), merchantID, s.cfg.OverdueReminders); err != nil {
		return err
	}
	w.WriteHeader(held.status)
	_, err = w.Write(held.body.Bytes())
	return err
}

// heldAnswer keeps an answer to send later: its headers go to the real
// writer's, its status and body wait.
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldAnswer) Header() http.Header         { return h.header }
func (h *heldAnswer) WriteHeader(status int)      { h.status = status }
func (h *heldAnswer) Write(b []byte) (int, error) { return h.body.Write(b) }
