package service

import (
	"context"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// UI sessions, single sign-on logins under way and the failed-login
// throttle are kept in the store, so any console process on it serves a
// browser logged in at another (or sent to the identity provider by
// another), and a client guessing tokens is counted once whichever replica
// it reaches.
// The UI keeps the clock (now): it decides when its sessions expire.

// CreateSession stores a UI session.
func (s *Service) CreateSession(ctx context.Context, sess store.Session, now time.Time) error {
	return s.store.CreateSession(ctx, sess, now.UTC())
}

// Session returns the live UI session whose ID hashes to idHash;
// store.ErrNotFound when there is none.
func (s *Service) Session(ctx context.Context, idHash []byte, now time.Time) (store.Session, error) {
	return s.store.GetSession(ctx, idHash, now.UTC())
}

// EndSession forgets a UI session (logout).
func (s *Service) EndSession(ctx context.Context, idHash []byte) error {
	return s.store.DeleteSession(ctx, idHash)
}

// StartOIDCLogin stores a single sign-on login sent to the identity
// provider, so that any console process on the store can finish it.
func (s *Service) StartOIDCLogin(ctx context.Context, l store.OIDCLogin, now time.Time) error {
	return s.store.CreateOIDCLogin(ctx, l, now.UTC())
}

// TakeOIDCLogin returns the single sign-on login whose state hashes to
// stateHash and forgets it, so a callback is honoured once;
// store.ErrNotFound when there is none (taken already, or expired).
func (s *Service) TakeOIDCLogin(ctx context.Context, stateHash []byte, now time.Time) (store.OIDCLogin, error) {
	return s.store.TakeOIDCLogin(ctx, stateHash, now.UTC())
}

// BeginLogin counts a login about to be checked as a failure of client
// and returns 0, or how long the client must wait when it already has
// limit failures in window (store.Store.BeginLogin).
func (s *Service) BeginLogin(ctx context.Context, client string, now time.Time, window time.Duration, limit int) (time.Duration, error) {
	return s.store.BeginLogin(ctx, client, now.UTC(), window, limit)
}

// EndLogin takes back the attempt BeginLogin counted: the login succeeded.
func (s *Service) EndLogin(ctx context.Context, client string) error {
	return s.store.EndLogin(ctx, client)
}
