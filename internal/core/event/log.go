package event

import (
	"context"
	"log/slog"
)

// LogSink writes each event to a logger as one record, message "event",
// with the event's fields as attributes: the event trail in the container
// log, for the cluster's log collector (as Gatekeeper's --log-denies).
type LogSink struct{ Logger *slog.Logger }

// Record implements Sink.
func (s LogSink) Record(ctx context.Context, events []Event) error {
	for _, e := range events {
		attrs := []slog.Attr{
			slog.String("id", e.ID), slog.Time("time", e.Time), slog.String("tab", e.Tab),
			slog.String("rule", e.Rule), slog.String("action", e.Action),
			slog.String("kind", e.Kind), slog.String("name", e.Name),
		}
		for _, kv := range [][2]string{{"cluster", e.Cluster}, {"namespace", e.Namespace}, {"container", e.Container},
			{"policy", e.Policy}, {"user", e.User}, {"operation", e.Operation}} {
			if kv[1] != "" {
				attrs = append(attrs, slog.String(kv[0], kv[1]))
			}
		}
		attrs = append(attrs, slog.String("message", e.Message))
		s.Logger.LogAttrs(ctx, slog.LevelInfo, "event", attrs...)
	}
	return nil
}
