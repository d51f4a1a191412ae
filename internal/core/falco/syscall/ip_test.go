package syscall

import (
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// TestIPConditions: address and network fields compare as Falco compares
// them, fd.ip and fd.net matching either end of the connection (and !=
// holding when neither end matches).
func TestIPConditions(t *testing.T) {
	s := newSource(t)
	conn := connect(catInContainer(), "93.184.216.34:443")
	v6 := connect(catInContainer(), "[2001:db8::1]:443")
	tests := []struct {
		cond string
		e    *Event
		want bool
	}{
		{"fd.sip = 93.184.216.34", conn, true},
		{`fd.sip = "93.184.216.35"`, conn, false},
		{"fd.sip != 93.184.216.35", conn, true},
		{"fd.sip in (10.0.0.1, 93.184.216.34)", conn, true},
		{"fd.cip = 10.244.1.7", conn, true},
		{"fd.ip = 10.244.1.7", conn, true},
		{"fd.ip = 93.184.216.34", conn, true},
		{`fd.ip != "0.0.0.0"`, conn, true},
		{"fd.ip != 10.244.1.7", conn, false}, // one end is it
		{"fd.snet = 93.184.0.0/16", conn, true},
		{`fd.snet in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")`, conn, false},
		{`fd.cnet in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")`, conn, true},
		{`fd.net != "127.0.0.0/8"`, conn, true},
		{`fd.net != "10.0.0.0/8"`, conn, false},
		{"fd.rnet = 93.184.216.34", conn, true},
		{"fd.sip = 2001:db8::1", v6, true},
		{"fd.snet = 2001:db8::/32", v6, true},
		{"fd.snet = 93.184.0.0/16", v6, false},
		{"fd.sip exists", conn, true},
		{"fd.port = 443", conn, true},
		{"fd.port = 43210", conn, true},
	}
	var b strings.Builder
	for i, tt := range tests {
		b.WriteString("- rule: r" + string(rune('a'+i)) + "\n  desc: d\n  condition: " + tt.cond + "\n  output: o %fd.sip %fd.snet\n  priority: INFO\n")
	}
	rs, diags := falco.Load(falco.Options{Sources: []falco.Source{s}}, falco.File{Name: "ip.yaml", Data: []byte(b.String())})
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	m := rs.NewMatcher()
	for i, tt := range tests {
		r := rs.Rule("r" + string(rune('a'+i)))
		if got := m.Matches(r, tt.e); got != tt.want {
			t.Errorf("%s on %s: %v, want %v", tt.cond, tt.e.FD.Name, got, tt.want)
		}
		if tt.want && tt.e == conn {
			if out := m.Output(r); out != "o 93.184.216.34 93.184.216.34" {
				t.Errorf("%s: output %q", tt.cond, out)
			}
		}
	}
}

func TestIPOperandsChecked(t *testing.T) {
	for cond, want := range map[string]string{
		"fd.sip = example.com":      `fd.sip = "example.com": not an IP address`,
		"fd.sip = 10.0.0.0/8":       `fd.sip = "10.0.0.0/8": not an IP address`,
		"fd.snet = 10.0.0.0/33":     `fd.snet = "10.0.0.0/33": not an IP network`,
		"fd.sip contains 10":        "'contains' operator not supported for IP address and network filters",
		"fd.snet startswith 10.0.0": "'startswith' operator not supported for IP address and network filters",
	} {
		file := "- rule: r\n  desc: d\n  condition: " + cond + "\n  output: o\n  priority: INFO\n"
		_, diags := falco.Load(falco.Options{Sources: []falco.Source{newSource(t)}}, falco.File{Name: "f.yaml", Data: []byte(file)})
		if err := diags.Err(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", cond, err, want)
		}
	}
}
