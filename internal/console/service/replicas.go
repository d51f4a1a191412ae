package service

import (
	"context"
	"errors"
	"strings"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// Topics console processes broadcast to each other on a shared store.
const (
	// topicWake + a cluster name wakes that cluster's long polls;
	// topicWake + "*" wakes every one.
	topicWake = "wake:"
	// topicScans: the scan-result mirror changed; reload the index.
	topicScans = "scan-results"
)

// changed wakes the long polls of cluster ("" for all) in this process and,
// on a store other processes share, in theirs.
func (s *Service) changed(ctx context.Context, cluster string) {
	if cluster == "" {
		s.wakeAll()
		s.broadcast(ctx, topicWake+"*")
		return
	}
	s.wake(cluster)
	s.broadcast(ctx, topicWake+cluster)
}

// broadcast tells the other console processes on the store about a change
// this one made. It does not fail the change: the change is stored, and a
// process that misses the word serves it at its agents' next poll (the
// long poll's wait at the latest).
func (s *Service) broadcast(ctx context.Context, topic string) {
	b, ok := s.store.(store.Broadcaster)
	if !ok {
		return
	}
	// The change is made even when the request that made it ends now.
	ctx = context.WithoutCancel(ctx)
	if err := b.Broadcast(ctx, s.id+" "+topic); err != nil {
		s.log.Warn("could not tell the other console replicas about a change: their agents see it at their next poll",
			"topic", topic, "err", err)
	}
}

// Listen serves the broadcasts of the other console processes on a shared
// store (PostgreSQL) until ctx ends: their policy changes wake this
// process's long polls, their scan-result imports reload its index. On a
// store only this process opens it just waits for ctx. It returns nil
// when ctx ends.
func (s *Service) Listen(ctx context.Context) error {
	b, ok := s.store.(store.Broadcaster)
	if !ok {
		<-ctx.Done()
		return nil
	}
	err := b.Listen(ctx, listener{s: s, ctx: ctx})
	if errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// listener is the service as a store.Listener.
type listener struct {
	s   *Service
	ctx context.Context
}

func (l listener) Notified(payload string) {
	from, topic, ok := strings.Cut(payload, " ")
	if !ok || from == l.s.id {
		return // our own word, acted on already
	}
	switch {
	case topic == topicWake+"*":
		l.s.wakeAll()
	case strings.HasPrefix(topic, topicWake):
		l.s.wake(strings.TrimPrefix(topic, topicWake))
	case topic == topicScans:
		l.s.reloadScans(l.ctx)
	}
}

// Resync runs after every (re)connection, when broadcasts may have been
// missed: every long poll looks again, and the index is read again.
func (l listener) Resync() {
	l.s.resync()
	l.s.reloadScans(l.ctx)
	l.s.listenOnce.Do(func() { close(l.s.listening) })
}

// Listening is closed once Listen first hears the other console
// processes' broadcasts.
func (s *Service) Listening() <-chan struct{} { return s.listening }

func (l listener) ListenFailed(err error) {
	l.s.log.Warn("lost the console replicas' broadcast connection: reconnecting (agents' long polls are answered at their timeout meanwhile)",
		"err", err)
}

func (s *Service) reloadScans(ctx context.Context) {
	if _, err := s.LoadScanResults(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("could not reload scan results another console replica imported", "err", err)
	}
}
