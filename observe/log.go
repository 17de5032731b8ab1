package observe

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/kassa-pay/kassa/provider"
)

// NewLogger is the server's log: one JSON object a line on w, at level
// and above, each line logged with a request's context carrying that
// request's ID as request_id (WithRequestID).
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(WithRequestID(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// WithRequestID wraps h so that a record logged with a context that
// carries an HTTP request's ID (provider.ActorOf) gets it as request_id:
// every line written while handling a request, by the adapters or the use
// cases they call, if they log with the request's context.
func WithRequestID(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := provider.ActorOf(ctx).RequestID; id != "" {
		r = r.Clone() // the caller's record is not ours to change
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// ParseLevel reads a log level: debug, info, warn or error, in any case.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q is none of debug, info, warn, error", s)
}
