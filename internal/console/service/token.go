package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// MinTokenLength is the shortest admin or viewer token the console takes:
// a short one can be guessed (the tokens it generates are 43 characters).
const MinTokenLength = 16

// LoadOrCreateToken returns the token in path; when the file does not
// exist it generates one and writes it there with mode 0600, reporting
// created so the caller can print it once. An empty, short or unreadable
// file is an error, never a silently generated token.
func LoadOrCreateToken(path string) (token string, created bool, err error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		token = strings.TrimSpace(string(b))
		if token == "" {
			return "", false, fmt.Errorf("token file %s is empty", path)
		}
		if n := len(token); n < MinTokenLength {
			return "", false, fmt.Errorf("token file %s holds a %d-character token: at least %d are required "+
				"(remove the file to have one generated, or write a longer one, e.g. openssl rand -base64 32)", path, n, MinTokenLength)
		}
		return token, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("read token file: %w", err)
	}
	if token, err = NewToken(); err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("write token file: %w", err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("write token file: %w", err)
	}
	return token, true, f.Close()
}

// Agent token rotation: a rotated token keeps working for an overlap
// window, long enough to give the agent the new one and restart it, then
// stops.
const (
	DefaultTokenOverlap = 24 * time.Hour
	// MaxTokenOverlap bounds a window, so that a typo cannot keep an old
	// token alive for years.
	MaxTokenOverlap = 30 * 24 * time.Hour
)

// ErrTokenExpired is a cluster's previous agent token used after its
// overlap window ended. It wraps store.ErrNotFound: the token is refused
// as any unknown token is.
var ErrTokenExpired = fmt.Errorf("the previous agent token's overlap window has ended: %w", store.ErrNotFound)

// ClusterForToken authenticates an agent token: a cluster's token, or its
// previous token until its overlap window ends (then ErrTokenExpired).
func (s *Service) ClusterForToken(ctx context.Context, token string) (store.Cluster, error) {
	h := HashToken(token)
	gen := s.policies.generation()
	c, err := s.store.ClusterByTokenHash(ctx, h)
	if err != nil {
		return store.Cluster{}, err
	}
	if !bytes.Equal(c.TokenHash, h) && !s.now().Before(c.PrevTokenExpires) {
		return store.Cluster{}, fmt.Errorf("cluster %q: %w", c.Name, ErrTokenExpired)
	}
	// The cluster as read now: its long poll, if this call is one,
	// starts from it, and so do the polls a change wakes.
	s.policies.putAssignment(c.Name, c.Policy, gen, s.now())
	return c, nil
}

// TokenOverlap is how long a rotated agent token keeps working unless a
// rotation says otherwise (Options.TokenOverlap).
func (s *Service) TokenOverlap() time.Duration { return s.overlap }

// RotateToken issues the cluster a new agent token, returned once (only
// its hash is kept). The token it had keeps working for overlap (0: it
// stops at once, as for a token that leaked); a token rotated away before
// and still in its window stops at once.
func (s *Service) RotateToken(ctx context.Context, cluster string, overlap time.Duration) (store.Cluster, string, error) {
	if overlap < 0 || overlap > MaxTokenOverlap {
		return store.Cluster{}, "", &InvalidError{Err: fmt.Errorf("overlap %v: want 0 (the old token stops at once) up to %v", overlap, MaxTokenOverlap)}
	}
	token, err := NewToken()
	if err != nil {
		return store.Cluster{}, "", err
	}
	var until time.Time
	if overlap > 0 {
		until = s.now().UTC().Add(overlap)
	}
	c, err := s.store.RotateToken(ctx, cluster, HashToken(token), until)
	if err != nil {
		return store.Cluster{}, "", err
	}
	detail := "agent token rotated; the previous token stopped working at once"
	if overlap > 0 {
		detail = fmt.Sprintf("agent token rotated; the previous token works until %s (%v)", c.PrevTokenExpires.Format(time.RFC3339), overlap)
	}
	s.audit(ctx, AuditTokenRotate, cluster, detail)
	return c, token, nil
}
