package syscall

import (
	"slices"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

func TestEventTypes(t *testing.T) {
	var s falco.Source = newSource(t)
	et, ok := s.(falco.EventTyper)
	if !ok {
		t.Fatal("the syscall source does not implement falco.EventTyper")
	}
	names := et.EventTypes()
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Error("event type names are not sorted and unique")
	}
	// Names Falco's published rules compare evt.type with, system calls
	// and other events alike.
	for _, want := range []string{"execve", "execveat", "open_by_handle_at", "openat2", "connect", "container",
		"switch", "procexit", "signaldeliver", "asyncevent", "pluginevent", "llseek", "_llseek", "sched_process_exit"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s: not an event type", want)
		}
	}
	names[0] = "changed"
	if et.EventTypes()[0] == "changed" {
		t.Error("EventTypes returns the source's own slice")
	}
}
