package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kassa-pay/kassa"
	"github.com/kassa-pay/kassa/observe"
	"github.com/kassa-pay/kassa/provider"
)

// What operators see of each request (docs/observability.md): its
// metrics, and one line in the log when it has been answered.

// observed is a request's response as it is written: its status and size.
type observed struct {
	http.ResponseWriter
	status int
	bytes  int64
	start  time.Time
	note   *requestNote
}

// requestNote is what the handlers learn of a request that the access log
// tells: the merchant, once a token names it.
type requestNote struct{ merchantID string }

type noteKey struct{}

// watch starts observing r: the writer to answer it with, and r with the
// note its handlers fill in.
func watch(w http.ResponseWriter, r *http.Request) (*observed, *http.Request) {
	n := &requestNote{}
	return &observed{ResponseWriter: w, start: time.Now(), note: n}, r.WithContext(context.WithValue(r.Context(), noteKey{}, n))
}

// noteMerchant names the merchant whose token r carries, for the log.
func noteMerchant(r *http.Request, merchantID string) {
	if n, ok := r.Context().Value(noteKey{}).(*requestNote); ok {
		n.merchantID = merchantID
	}
}

func (w *observed) WriteHeader(status int) {
	if w.status == 0 && status >= 200 { // 1xx are not the answer
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *observed) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *observed) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// done counts r, answered through w, in the metrics and logs its line. r
// is the request the mux routed, so its Pattern is the route's.
func (s *Server) done(w *observed, r *http.Request) {
	d := time.Since(w.start)
	status := w.status
	if status == 0 { // nothing written: net/http answers 200
		status = http.StatusOK
	}
	s.metrics.Request(r.Method, r.Pattern, status, d)
	level := slog.LevelInfo
	if status == http.StatusOK && (r.Pattern == "GET /healthz" || r.Pattern == "GET /readyz") {
		level = slog.LevelDebug // a load balancer's probes, every few seconds
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("route", observe.Route(r.Pattern)), slog.String("path", loggedPath(r)),
		slog.Int("status", status), slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.Int64("bytes", w.bytes),
	}
	if w.note.merchantID != "" {
		attrs = append(attrs, slog.String("merchant_id", w.note.merchantID))
	}
	if a := provider.ActorOf(r.Context()).Source; a != "" {
		attrs = append(attrs, slog.String("client", a))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// idWildcards are the path wildcards that hold IDs, logged as sent. Any
// other is logged as its name: the signing page's MAC ({sig}), a buyer's
// link token and an authorization token ({token}) are credentials, and a
// wildcard added later is one until it is listed here.
var idWildcards = map[string]bool{
	"sessionId": true, "orderId": true, "ledgerId": true, "clientId": true, "endpointId": true,
	"notificationId": true, "documentId": true, "id": true, "file": true, "action": true,
}

// maxLoggedPath bounds the path in a log line.
const maxLoggedPath = 256

// maxUnroutedSegment is the longest segment of a path no route matched
// that the log shows: every credential Kassa puts in a path is longer (the
// signing link's MAC 32 characters, a buyer's link token 43, an
// authorization token 30), and so is whatever a client mangled one into
// while keeping it whole.
const maxUnroutedSegment = 24

// loggedPath is r's path as the log shows it: its route's pattern with
// the IDs filled in and any other wildcard left as its name, never the
// query (a token request may carry its credentials there). A path no
// route matched is logged as sent but with each segment longer than
// maxUnroutedSegment as "…".
func loggedPath(r *http.Request) string {
	if r.Pattern == "" {
		segs := strings.Split(r.URL.Path, "/")
		for i, seg := range segs {
			if len(seg) > maxUnroutedSegment {
				segs[i] = "…"
			}
		}
		return kassa.Clip(strings.Join(segs, "/"), maxLoggedPath)
	}
	segs := strings.Split(observe.Route(r.Pattern), "/")
	for i, seg := range segs {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(strings.TrimSuffix(name, "}"), "...")
		switch {
		case name == "$":
			segs[i] = ""
		case idWildcards[name]:
			segs[i] = r.PathValue(name)
		}
	}
	return kassa.Clip(strings.Join(segs, "/"), maxLoggedPath)
}
