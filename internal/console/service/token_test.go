package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/store"
)

func TestLoadOrCreateToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin-token")
	tok, created, err := LoadOrCreateToken(path)
	if err != nil || !created || len(tok) < 40 {
		t.Fatalf("first call: %q %v %v", tok, created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	again, created, err := LoadOrCreateToken(path)
	if err != nil || created || again != tok {
		t.Fatalf("second call: %q %v %v", again, created, err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, _, err := LoadOrCreateToken(empty); err == nil {
		t.Error("an empty token file must be an error")
	}
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte("abcd\n"), 0o600)
	if _, _, err := LoadOrCreateToken(short); err == nil || !strings.Contains(err.Error(), "4-character token: at least 16") {
		t.Errorf("a 4-character token must be refused, saying why: %v", err)
	}
	if string(HashToken(tok)) == tok || len(HashToken(tok)) != 32 {
		t.Error("tokens are stored as SHA-256 hashes")
	}
}

// A rotated agent token keeps working for its overlap window, to the
// instant, then is refused as an unknown token is; the new one works at
// once. Time is the service's clock, moved by the test.
func TestRotateTokenOverlap(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	s, st := auditService(t, &now, nil)
	ctx := context.Background()
	_, old, err := s.RegisterCluster(ctx, "east")
	must(t, err)
	if s.TokenOverlap() != DefaultTokenOverlap {
		t.Fatalf("TokenOverlap() = %v, want the default %v", s.TokenOverlap(), DefaultTokenOverlap)
	}
	c, fresh, err := s.RotateToken(ctx, "east", s.TokenOverlap())
	must(t, err)
	if fresh == old || len(fresh) != 43 || !c.PrevTokenExpires.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("rotation = %+v, token %q", c, fresh)
	}
	works := func(what, token string, want bool) {
		t.Helper()
		c, err := s.ClusterForToken(ctx, token)
		switch {
		case want && (err != nil || c.Name != "east"):
			t.Errorf("%s at %v: %+v, %v; want cluster east", what, now, c, err)
		case !want && (!errors.Is(err, store.ErrNotFound)):
			t.Errorf("%s at %v: %+v, %v; want it refused as an unknown token", what, now, c, err)
		}
	}
	works("the new token", fresh, true)
	works("the old token inside its window", old, true)
	now = now.Add(24*time.Hour - time.Nanosecond)
	works("the old token at the window's last instant", old, true)
	now = now.Add(time.Nanosecond)
	works("the old token once the window ends", old, false)
	if _, err := s.ClusterForToken(ctx, old); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("the old token after its window: %v, want ErrTokenExpired", err)
	}
	works("the new token after the old one's window", fresh, true)

	// A leaked token is rotated away with no overlap: it stops at once,
	// and so does a previous token still in its window.
	_, second, err := s.RotateToken(ctx, "east", time.Hour)
	must(t, err)
	works("the second token", second, true)
	works("the first rotated token, now previous", fresh, true)
	_, third, err := s.RotateToken(ctx, "east", 0)
	must(t, err)
	works("the third token", third, true)
	works("the second token, rotated away at once", second, false)
	works("the first rotated token, two rotations back", fresh, false)

	for _, overlap := range []time.Duration{-time.Second, MaxTokenOverlap + time.Second} {
		var inv *InvalidError
		if _, _, err := s.RotateToken(ctx, "east", overlap); !errors.As(err, &inv) {
			t.Errorf("overlap %v: %v, want an InvalidError", overlap, err)
		}
	}
	if _, _, err := s.RotateToken(ctx, "west", time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rotate an unknown cluster: %v, want ErrNotFound", err)
	}
	es := auditLog(t, st)
	var rotations []string
	for _, e := range es {
		if e.Action == AuditTokenRotate {
			rotations = append(rotations, e.Detail)
		}
	}
	want := []string{"agent token rotated; the previous token works until 2026-05-07T07:08:09Z (24h0m0s)",
		"agent token rotated; the previous token works until 2026-05-07T08:08:09Z (1h0m0s)",
		"agent token rotated; the previous token stopped working at once"}
	if diff := cmp.Diff(want, rotations); diff != "" {
		t.Errorf("token.rotate entries, refused rotations left out (-want +got):\n%s", diff)
	}
	for _, e := range es {
		for _, tok := range []string{old, fresh, second, third} {
			if strings.Contains(e.Detail, tok) || strings.Contains(e.Target, tok) {
				t.Errorf("audit entry %+v holds a token", e)
			}
		}
	}
}

// The window is an option.
func TestTokenOverlapOption(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	s, _ := auditService(t, &now, func(o *Options) { o.TokenOverlap = time.Hour })
	if s.TokenOverlap() != time.Hour {
		t.Errorf("TokenOverlap() = %v, want 1h", s.TokenOverlap())
	}
}
