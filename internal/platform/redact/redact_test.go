package redact

import (
	"strings"
	"testing"
)

func TestURLHidesThePassword(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://user:s3cret@console:8080/x", "http://user:xxxxx@console:8080/x"},
		{"postgres://palisade:s3cret@db:5432/palisade?sslmode=require", "postgres://palisade:xxxxx@db:5432/palisade?sslmode=require"},
		{"https://console.example:443", "https://console.example:443"},
		{"https://token@host/falco", "https://token@host/falco"},
		{"sqlite:///var/lib/palisade.db", "sqlite:///var/lib/palisade.db"},
		// Not a URL net/url accepts (a bad port, a control character), with a password all the same.
		{"http://user:s3cret@host:port/", "http://user:xxxxx@host:port/"},
		{"http://u:s3cret@ho\x7fst/a@b", "http://u:xxxxx@ho\x7fst/a@b"},
		{"http://u:p@ss:s3cret@host:bad", "http://u:xxxxx@host:bad"},
		{"not a url", "not a url"},
	} {
		got := URL(tc.in)
		if got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("URL(%q) = %q: the password shows", tc.in, got)
		}
	}
}
