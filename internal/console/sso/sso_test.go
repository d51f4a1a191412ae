package sso

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func validConfig() Config {
	return Config{Name: "Dex", IssuerURL: "https://dex.example.com", ClientID: "palisade", ClientSecret: "s3cret",
		RedirectURL: "https://palisade.example.com" + CallbackPath, Scopes: []string{"openid", "email"}, GroupsClaim: "groups",
		AdminGroups: []string{"sec-admins"}, ViewerGroups: []string{"sec-viewers", "auditors"}}
}

func TestProblems(t *testing.T) {
	flag := func(f string) string {
		if f == "client-secret" {
			return "--oidc-client-secret-file"
		}
		return "--oidc-" + f
	}
	if errs := validConfig().Problems(flag); len(errs) != 0 {
		t.Fatalf("a valid config: %v", errs)
	}
	for _, tc := range []struct {
		name string
		set  func(*Config)
		want []string
	}{
		{"empty", func(c *Config) { *c = Config{} }, []string{
			"--oidc-issuer-url is required", "--oidc-redirect-url is required", "--oidc-client-id is required",
			"--oidc-client-secret-file is required", `--oidc-scopes must include "openid"`,
			"--oidc-groups-claim is required", "--oidc-admin-groups or --oidc-viewer-groups is required: without them nobody can log in"}},
		{"issuer not a URL", func(c *Config) { c.IssuerURL = "dex.example.com" }, []string{`--oidc-issuer-url "dex.example.com" is not an http(s) URL`}},
		{"redirect elsewhere", func(c *Config) { c.RedirectURL = "https://palisade.example.com/callback" }, []string{
			`--oidc-redirect-url "https://palisade.example.com/callback" must end in /login/oidc/callback (the console's external URL + /login/oidc/callback)`}},
		{"viewers only", func(c *Config) { c.AdminGroups = nil }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.set(&c)
			var got []string
			for _, err := range c.Problems(flag) {
				got = append(got, err.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "issuer-url is required") {
		t.Errorf("New with nothing: %v", err)
	}
}

func TestRole(t *testing.T) {
	c, err := New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		groups []string
		want   string
	}{
		{[]string{"sec-admins"}, RoleAdmin},
		{[]string{"auditors", "sec-admins"}, RoleAdmin}, // admin wins
		{[]string{"staff", "auditors"}, RoleViewer},
		{[]string{"staff"}, ""},
		{[]string{"SEC-ADMINS", "sec-admins-2"}, ""}, // exact names only
		{nil, ""},
	} {
		if got := c.Role(User{Groups: tc.groups}); got != tc.want {
			t.Errorf("Role(%q) = %q, want %q", tc.groups, got, tc.want)
		}
	}
}

func TestUserFromClaims(t *testing.T) {
	c, err := New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   User
		err    string
	}{
		{"email and a list", map[string]any{"email": "jane@example.com", "preferred_username": "jane", "groups": []any{"a", "b"}},
			User{Subject: "sub1", Name: "jane@example.com", Groups: []string{"a", "b"}}, ""},
		{"one group as a string", map[string]any{"preferred_username": "jane", "groups": "a"},
			User{Subject: "sub1", Name: "jane", Groups: []string{"a"}}, ""},
		{"no name, no groups", map[string]any{},
			User{Subject: "sub1", Name: "sub1"}, ""},
		{"groups of numbers", map[string]any{"groups": []any{"a", 7.0}}, User{}, `claim "groups": holds float64, not a string`},
		{"groups as an object", map[string]any{"groups": map[string]any{"a": true}}, User{}, `claim "groups": is a map[string]interface {}, not a list of strings`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.user("sub1", tc.claims)
			if tc.err != "" {
				if !errors.Is(err, ErrIDToken) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want ErrIDToken saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
		})
	}
	if c.incomplete(map[string]any{"groups": []any{}, "email": "a@b"}) || !c.incomplete(map[string]any{"email": "a@b"}) ||
		!c.incomplete(map[string]any{"groups": []any{}}) {
		t.Error("incomplete: the userinfo endpoint is asked when the groups or a name are missing, only then")
	}
}
