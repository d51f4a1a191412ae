package image

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"busybox", Ref{Raw: "busybox", Registry: "docker.io", Name: "busybox", Tag: "latest", Path: "docker.io/library/busybox:latest"}},
		{"acme/api:1.2", Ref{Raw: "acme/api:1.2", Registry: "docker.io", Name: "acme/api", Tag: "1.2", Path: "docker.io/acme/api:1.2"}},
		{"docker.io/library/redis:7", Ref{Raw: "docker.io/library/redis:7", Registry: "docker.io", Name: "redis", Tag: "7", Path: "docker.io/library/redis:7"}},
		{"myreg.azurecr.io/istio/proxy:1.0", Ref{Raw: "myreg.azurecr.io/istio/proxy:1.0", Registry: "myreg.azurecr.io", Name: "istio/proxy", Tag: "1.0", Path: "myreg.azurecr.io/istio/proxy:1.0"}},
		{"localhost:5000/app", Ref{Raw: "localhost:5000/app", Registry: "localhost:5000", Name: "app", Tag: "latest", Path: "localhost:5000/app:latest"}},
		{"ghcr.io/a/b@sha256:" + digest, Ref{Raw: "ghcr.io/a/b@sha256:" + digest, Registry: "ghcr.io", Name: "a/b", Digest: "sha256:" + digest, Path: "ghcr.io/a/b@sha256:" + digest}},
		{"EVIL.io:443/x:1", Ref{Raw: "EVIL.io:443/x:1", Registry: "evil.io", Name: "x", Tag: "1", Path: "evil.io/x:1"}},
		{"index.docker.io/redis", Ref{Raw: "index.docker.io/redis", Registry: "docker.io", Name: "redis", Tag: "latest", Path: "docker.io/library/redis:latest"}},
		{"registry-1.docker.io/acme/api", Ref{Raw: "registry-1.docker.io/acme/api", Registry: "docker.io", Name: "acme/api", Tag: "latest", Path: "docker.io/acme/api:latest"}},
		{"ghcr.io/a/b:v1@sha256:" + digest, Ref{Raw: "ghcr.io/a/b:v1@sha256:" + digest, Registry: "ghcr.io", Name: "a/b", Tag: "v1", Digest: "sha256:" + digest, Path: "ghcr.io/a/b:v1@sha256:" + digest}},
	}
	for _, tt := range tests {
		got := Parse(tt.in)
		if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Ref{}, "Err")); diff != "" || got.Err != nil {
			t.Errorf("Parse(%q) err=%v (-want +got):\n%s", tt.in, got.Err, diff)
		}
	}
}

const digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseInvalid(t *testing.T) {
	for _, in := range []string{"", "<customer-registry>.azurecr.io/redis:latest", "Busybox", " busybox", "a b", "docker.io/library/busybox@evil", "a_b.c/x", "my_registry.example.com/app:1"} {
		r := Parse(in)
		if r.Err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, r)
		}
		if r.Path != in || r.Registry != "" || r.Name != "" {
			t.Errorf("Parse(%q): invalid references keep only Raw and Path: %+v", in, r)
		}
	}
}

func TestCondition(t *testing.T) {
	tests := []struct {
		op     string
		values []string
		s      string
		want   bool
	}{
		{"equals", []string{"a", "b"}, "b", true},
		{"equals", []string{"a"}, "ab", false},
		{"notEquals", []string{"a", "b"}, "c", true},
		{"notEquals", []string{"a", "b"}, "a", false},
		{"contains", []string{"dev"}, "devone", true},
		{"notContains", []string{"dev", "test"}, "prod", true},
		{"notContains", []string{"dev", "test"}, "mytest", false},
		{"startsWith", []string{"docker.io/"}, "docker.io/library/x:latest", true},
		{"endsWith", []string{":latest"}, "x:1", false},
		{"matches", []string{`^[^/]+\.azurecr\.io/`}, "acme.azurecr.io/redis:1", true},
		{"matches", []string{`^[^/]+\.azurecr\.io/`}, "docker.io/evil.azurecr.io/redis:1", false},
	}
	for _, tt := range tests {
		c, err := NewCondition(tt.op, tt.values)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Match(tt.s); got != tt.want {
			t.Errorf("%s %v on %q = %v, want %v", tt.op, tt.values, tt.s, got, tt.want)
		}
	}
	for _, bad := range []struct {
		op     string
		values []string
	}{{"like", []string{"a"}}, {"equals", nil}, {"matches", []string{"("}}} {
		if _, err := NewCondition(bad.op, bad.values); err == nil {
			t.Errorf("NewCondition(%q, %v): want an error", bad.op, bad.values)
		}
	}
}

func TestPattern(t *testing.T) {
	tests := []struct {
		pattern, image string
		want           bool
	}{
		{"myregistry.azurecr.io/istio:*", "myregistry.azurecr.io/istio:1.2", true},
		{"myregistry.azurecr.io/istio:*", "myregistry.azurecr.io/istio-evil:1.2", false},
		{"busybox", "docker.io/library/busybox:latest", true},
		{"busybox", "busybox:1.36", false},
		{"busybox:*", "busybox:1.36", true},
		{"acme/*", "docker.io/acme/api:1", true},
		{"docker.io/*", "evil.io/docker.io/x", false},
		{"docker.io/nginx:*", "nginx:1.25", true},
		{"index.docker.io/library/redis:*", "redis:7", true},
		{"myregistry.azurecr.io*", "myregistry.azurecr.io/x:1", true},
		{"MyRegistry.azurecr.io:443/*", "myregistry.azurecr.io/x:1", true},
		{"localhost:5000/*", "localhost:5000/a", true},
		{"busybox:1.*", "busybox:1.36", true},
		// A crafted host that merely starts with an allowed name does not match.
		{"myregistry.azurecr.io/*", "myregistry.azurecr.io.evil.com/x", false},
	}
	for _, tt := range tests {
		p, err := NewPattern(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(Parse(tt.image)); got != tt.want {
			t.Errorf("pattern %q on %q = %v, want %v", tt.pattern, tt.image, got, tt.want)
		}
	}
	for _, bad := range []string{"", "a*b*", "Bad Image"} {
		if _, err := NewPattern(bad); err == nil {
			t.Errorf("NewPattern(%q): want an error", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"busybox", "a/b:c@sha256:" + digest, "<x>", "localhost:5000/a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s)
		if r.Err == nil && (r.Registry == "" || r.Name == "" || r.Path == "") {
			t.Fatalf("valid reference %q with empty parts: %+v", s, r)
		}
	})
}
