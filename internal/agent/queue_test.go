package agent

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// oversizedLine is the JSON line of an event of about 5 MiB, more than the
// queue reads in one batch (4 MiB): written to the queue's segment
// directly, as an agent without creation bounds did.
func oversizedLine() []byte {
	return fmt.Appendf(nil, `{"id":%q,"kind":"Pod","name":"p","tab":"runtime","rule":"r","action":"log","message":"%s"}`+"\n",
		event.NewID(), strings.Repeat("x", 5<<20))
}

// lastSegment is the segment the agent's queue writes to.
func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "seg-*.jsonl"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segment in %s: %v", dir, err)
	}
	return segs[len(segs)-1] // zero-padded: the names sort by number
}

func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

// A 5 MiB event in a managed agent's queue, whether it sits in the segment
// being written or in one sealed by a restart, is set aside in
// rejected.jsonl; the events after it reach the console. The log reports
// how long they took, against the queue's delivery interval (1 s).
func TestManagedAgentDeliversPastAnOversizedEvent(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			c := newConsole(t)
			c.createPolicy("strict", "block")
			c.assign("strict")
			a := newManagedAgent(t, c)
			queue := filepath.Join(a.cfg.StateDir, "events")
			big := oversizedLine()
			var start time.Time
			want := 1
			if restart {
				// The queue a previous run left: the big event, then three.
				var b bytes.Buffer
				b.Write(big)
				for i := range 3 {
					fmt.Fprintf(&b, `{"id":%q,"kind":"Pod","name":"p-%d","tab":"runtime","rule":"r","action":"log","message":"m"}`+"\n", event.NewID(), i)
				}
				if err := os.MkdirAll(queue, 0o700); err != nil {
					t.Fatal(err)
				}
				appendFile(t, filepath.Join(queue, "seg-0000000000000001.jsonl"), b.Bytes())
				want = 3
				start = time.Now()
				_, stop := a.run()
				defer stop()
			} else {
				url, stop := a.run()
				defer stop()
				eventually(t, "the assigned policy in force", func() bool { return strings.HasPrefix(c.agentPolicy(), `"strict-`) })
				appendFile(t, lastSegment(t, queue), big)
				start = time.Now()
				a.review(url, 1)
			}
			eventually(t, "the events after the oversized one", func() bool { return len(c.events()) == want })
			t.Logf("%d event(s) after a 5 MiB event delivered %v after %s (delivery interval 1s)",
				want, time.Since(start).Round(time.Millisecond), map[bool]string{true: "the agent started", false: "the decision"}[restart])
			kept, err := os.ReadFile(filepath.Join(queue, "rejected.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(kept, big) {
				t.Errorf("rejected.jsonl holds %d bytes, want the %d of the oversized event", len(kept), len(big))
			}
		})
	}
}
