package containerd

import "testing"

func TestListed(t *testing.T) {
	out := "TASK     PID      STATUS\nabc      1234     RUNNING\ndef      0        STOPPED\n"
	for id, want := range map[string]bool{"abc": true, "def": false, "gh": false, "": false} {
		if got := listed(out, id); got != want {
			t.Errorf("listed(%q) = %v, want %v", id, got, want)
		}
	}
}
