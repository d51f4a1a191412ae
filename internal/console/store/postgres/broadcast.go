package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// notifyChannel is the PostgreSQL channel console processes on the
// schema broadcast on: notifications are database-wide, and two consoles
// in two schemas of one database must not hear each other.
func notifyChannel(schema string) string { return "palisade_console." + schema }

// ReconnectDelay is how long Listen waits before connecting again after
// its connection dropped.
var ReconnectDelay = time.Second

var _ store.Broadcaster = (*Store)(nil)

// Broadcast implements store.Broadcaster with pg_notify. PostgreSQL
// delivers a notification when the sending transaction commits; this one
// is its own transaction, sent after the change it announces committed.
func (s *Store) Broadcast(ctx context.Context, topic string) error {
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, topic); err != nil {
		return fmt.Errorf("broadcast %q: %w", topic, err)
	}
	return nil
}

// Listen implements store.Broadcaster on a connection of its own (a
// pooled one would be handed back between notifications), through
// pgxlisten, which reconnects.
func (s *Store) Listen(ctx context.Context, h store.Listener) error {
	cfg := s.pool.Config().ConnConfig
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, cfg.Copy())
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				h.ListenFailed(err)
			}
		},
		ReconnectDelay: ReconnectDelay,
	}
	l.Handle(s.channel, handler{h})
	return l.Listen(ctx)
}

// handler adapts a store.Listener to pgxlisten.
type handler struct{ h store.Listener }

func (a handler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	a.h.Notified(n.Payload)
	return nil
}

// HandleBacklog runs once the connection listens, after every
// (re)connection.
func (a handler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	a.h.Resync()
	return nil
}
