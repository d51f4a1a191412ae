package console

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/store/sqlite"
)

func TestShutdownEndsLongPolls(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "palisade.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Store: st, Registry: reg})
	if _, _, err := s.RegisterCluster(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		changed bool
		err     error
	}
	done := make(chan answer, 1)
	go func() {
		_, changed, err := s.AgentPolicyFor(ctx, "prod", `"none"`, "", time.Hour)
		done <- answer{changed, err}
	}()
	s.Shutdown()
	select {
	case a := <-done:
		if a.err != nil || a.changed {
			t.Errorf("long poll after Shutdown = changed %v, %v; want unchanged, no error", a.changed, a.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll outlived Shutdown")
	}
	// Later polls do not wait either.
	if _, changed, err := s.AgentPolicyFor(ctx, "prod", `"none"`, "", time.Hour); err != nil || changed {
		t.Errorf("poll after Shutdown = %v, %v", changed, err)
	}
}
