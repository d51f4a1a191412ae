package service

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/sqlite"
	"github.com/palisade-dev/palisade/internal/console/store/storetest"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/rules"
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

func TestIngestReplacesNUL(t *testing.T) {
	ctx := context.Background()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			st, _ := be.Open(t)
			defer st.Close()
			s := New(Options{Store: st, Registry: reg})
			if _, _, err := s.RegisterCluster(ctx, "prod"); err != nil {
				t.Fatal(err)
			}
			ev := event.Event{ID: event.NewID(), Time: time.Now().UTC(), Kind: "Pod", Name: "p\x00", Tab: "deployment",
				Rule: "imageTag", Action: "block", Message: "image \"busybox:\x00\" violates rule imageTag"}
			if n, err := s.IngestEvents(ctx, "prod", []event.Event{ev}); err != nil || n != 1 {
				t.Fatalf("ingest = %d, %v", n, err)
			}
			page, err := st.ListEvents(ctx, store.EventFilter{})
			if err != nil || len(page.Events) != 1 {
				t.Fatalf("list = %v, %v", page, err)
			}
			if got := page.Events[0]; got.Name != "p\uFFFD" || got.Message != "image \"busybox:\uFFFD\" violates rule imageTag" {
				t.Errorf("stored %q / %q", got.Name, got.Message)
			}
		})
	}
}
