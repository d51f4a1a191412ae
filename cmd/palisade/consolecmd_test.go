package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/platform/devcert"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

func TestDatabaseURLFromEnvironment(t *testing.T) {
	t.Setenv(databaseEnv, "postgres://u:secret@db/palisade")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"flag unset: the environment", nil, "postgres://u:secret@db/palisade"},
		{"flag set: the flag", []string{"--database", "sqlite:///x.db"}, "sqlite:///x.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			cmd := &cobra.Command{RunE: func(cmd *cobra.Command, _ []string) error {
				got = databaseURL(cmd, cmd.Flag("database").Value.String())
				return nil
			}}
			cmd.Flags().String("database", "sqlite://palisade.db", "")
			cmd.SetArgs(tc.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("database = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConsoleListenNeedsTLSOrInsecureHTTP(t *testing.T) {
	base := consoleConfig{database: "sqlite://x.db", adminTokenFile: "t"}
	for _, tc := range []struct {
		name string
		set  func(*consoleConfig)
		want string // in the error; "" for none
	}{
		{"loopback, plain", func(c *consoleConfig) { c.listen = "127.0.0.1:8080" }, ""},
		{"localhost, plain", func(c *consoleConfig) { c.listen = "localhost:8080" }, ""},
		{"IPv6 loopback, plain", func(c *consoleConfig) { c.listen = "[::1]:8080" }, ""},
		{"every address, plain", func(c *consoleConfig) { c.listen = ":8080" }, "not a loopback address"},
		{"0.0.0.0, plain", func(c *consoleConfig) { c.listen = "0.0.0.0:8080" }, "--insecure-http"},
		{"every address, --insecure-http", func(c *consoleConfig) { c.listen, c.insecureHTTP = ":8080", true }, ""},
		{"every address, TLS", func(c *consoleConfig) { c.listen, c.tlsCertFile, c.tlsKeyFile = ":8443", "c", "k" }, ""},
		{"TLS and --insecure-http", func(c *consoleConfig) {
			c.listen, c.tlsCertFile, c.tlsKeyFile, c.insecureHTTP = ":8443", "c", "k", true
		}, "exclude each other"},
		{"bad proxy", func(c *consoleConfig) { c.listen, c.trustedProxies = "127.0.0.1:1", []string{"10.0.0.0/99"} }, "--trusted-proxies"},
		{"token overlap", func(c *consoleConfig) { c.listen, c.tokenOverlap = "127.0.0.1:1", 48*time.Hour }, ""},
		{"negative token overlap", func(c *consoleConfig) { c.listen, c.tokenOverlap = "127.0.0.1:1", -time.Hour }, "--token-rotation-overlap"},
		{"token overlap beyond 30 days", func(c *consoleConfig) { c.listen, c.tokenOverlap = "127.0.0.1:1", 721*time.Hour }, "at most 720h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.set(&cfg)
			err := cfg.validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

// Served over TLS, every answer carries Strict-Transport-Security.
func TestConsoleServesTLSWithHSTS(t *testing.T) {
	files, err := devcert.WriteServing(t.TempDir(), time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	url, _ := startConsoleWith(t, func(c *consoleConfig) { c.tlsCertFile, c.tlsKeyFile = files.Cert, files.Key })
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(files.CAPEM)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS == nil || !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("TLS %v, HSTS %q", resp.TLS != nil, resp.Header.Get("Strict-Transport-Security"))
	}
}

// A client without a token that sends its body slowly is answered 401 at
// once and cut off; clients holding connections from one address are capped,
// and the admin, from another, is still answered.
func TestConsoleSlowUnauthenticatedClients(t *testing.T) {
	url, tokenFile := startConsoleWith(t, func(c *consoleConfig) { c.maxConnsPerClient = 8 })
	addr := strings.TrimPrefix(url, "http://")
	dial := func(src string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := dial("127.0.0.3")
	fmt.Fprintf(c, "POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !resp.Close {
		t.Fatalf("slow body without a token: %v %v; want 401 and close before the body", resp, err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("the connection was kept: %v", err)
	}

	for range 8 { // slow headers: held until ReadHeaderTimeout
		fmt.Fprintf(dial("127.0.0.2"), "GET /login HTTP/1.1\r\nHost: x\r\n")
	}
	for i := range 4 {
		if _, err := dial("127.0.0.2").Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Fatalf("connection %d over the cap was kept: %v", 9+i, err)
		}
	}
	token, _ := os.ReadFile(tokenFile)
	req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/clusters", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err = (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the admin was not answered: %v %v", resp, err)
	}
	resp.Body.Close()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// A second console on the first one's SQLite file serves, and says in its
// log that SQLite is the single-process store.
func TestSecondConsoleOnSQLiteSaysSo(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "palisade.db")
	startConsoleWith(t, func(c *consoleConfig) { c.database = db })
	dir := t.TempDir()
	cfg := consoleConfig{listen: "127.0.0.1:0", database: db, adminTokenFile: filepath.Join(dir, "admin-token")}
	var log fixture.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- runConsole(ctx, cfg, slog.New(slog.NewTextHandler(&log, nil)), io.Discard, ready) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("the second console did not start: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "SQLite is the single-process store") {
		t.Errorf("the second console's log does not say SQLite is single-process:\n%s", log.String())
	}
}

func TestConsoleOIDCFlags(t *testing.T) {
	base := consoleConfig{listen: "127.0.0.1:8080", database: "sqlite://x.db", adminTokenFile: "t"}
	sso := func(c *consoleConfig) {
		c.oidc = oidcFlags{issuerURL: "https://dex.example.com", clientID: "palisade", clientSecretFile: "secret",
			redirectURL: "https://palisade.example.com/login/oidc/callback", scopes: []string{"openid"}, groupsClaim: "groups",
			adminGroups: []string{"sec-admins"}}
	}
	for _, tc := range []struct {
		name string
		set  func(*consoleConfig)
		want []string // in the error; none for no error
	}{
		{"no single sign-on", func(*consoleConfig) {}, nil},
		{"single sign-on", sso, nil},
		{"a client without an issuer", func(c *consoleConfig) { c.oidc.clientID = "palisade" }, []string{"the --oidc-* flags need --oidc-issuer-url"}},
		{"an issuer alone", func(c *consoleConfig) {
			c.oidc.issuerURL, c.oidc.scopes, c.oidc.groupsClaim = "https://dex.example.com", []string{"openid"}, "groups"
		},
			[]string{"--oidc-client-id is required", "--oidc-client-secret-file is required", "--oidc-redirect-url is required",
				"--oidc-admin-groups or --oidc-viewer-groups is required"}},
		{"scopes without openid", func(c *consoleConfig) { sso(c); c.oidc.scopes = []string{"email"} }, []string{`--oidc-scopes must include "openid"`}},
		{"a redirect elsewhere", func(c *consoleConfig) { sso(c); c.oidc.redirectURL = "https://palisade.example.com/" },
			[]string{"--oidc-redirect-url", "must end in /login/oidc/callback"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.set(&cfg)
			err := cfg.validate()
			if len(tc.want) == 0 && err != nil {
				t.Fatalf("validate() = %v", err)
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("validate() = %v, want it to say %q", err, w)
				}
			}
		})
	}
}

// A console whose identity provider is down starts and serves: its login
// page offers single sign-on, says the provider cannot be reached when it
// is clicked, and token logins work. The client secret is in no log.
func TestConsoleStartsWhileItsIdentityProviderIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there
	secretFile := filepath.Join(t.TempDir(), "client-secret")
	if err := os.WriteFile(secretFile, []byte("the-client-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var log fixture.Buffer
	url, tokenFile := startConsoleLogging(t, slog.New(slog.NewTextHandler(&log, nil)), func(c *consoleConfig) {
		c.oidc = oidcFlags{issuerURL: issuer, clientID: "palisade", clientSecretFile: secretFile,
			redirectURL: "http://127.0.0.1:1/login/oidc/callback", scopes: []string{"openid"}, groupsClaim: "groups",
			viewerGroups: []string{"team"}, providerName: "Dex"}
	})
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		resp, err := client.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get("/login"); status != http.StatusOK || !strings.Contains(body, "Log in with Dex") {
		t.Fatalf("login page: %d, want the single sign-on link", status)
	}
	if status, body := get("/login/oidc"); status != http.StatusServiceUnavailable || !strings.Contains(body, "cannot reach the identity provider at "+issuer) {
		t.Fatalf("single sign-on with the provider down: %d\n%s", status, body)
	}
	token, _ := os.ReadFile(tokenFile)
	resp, err := client.PostForm(url+"/login", map[string][]string{"token": {strings.TrimSpace(string(token))}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("token login: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(log.String(), "single sign-on: the identity provider cannot be reached yet") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(log.String(), "cannot be reached yet") {
		t.Errorf("the start does not warn that the provider is down:\n%s", log.String())
	}
	if strings.Contains(log.String(), "the-client-secret") {
		t.Error("the client secret is in the log")
	}
}

// --oidc-ca-file is what the console trusts the provider's certificate
// with; without it, the system roots (which do not sign a private CA).
func TestConsoleOIDCCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		caFile string
		ok     bool
	}{{caFile, true}, {"", false}} {
		client, err := (&oidcFlags{caFile: tc.caFile}).httpClient()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("CA file %q: %v", tc.caFile, err)
		}
	}
	notPEM := filepath.Join(t.TempDir(), "ca.crt")
	os.WriteFile(notPEM, []byte("nothing"), 0o644)
	if _, err := (&oidcFlags{caFile: notPEM}).httpClient(); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("a CA file without a certificate: %v", err)
	}
}

// The chart passes each group as its own flag, quoted as a CSV field, so
// that a group holding a comma (an LDAP DN) stays one group.
func TestConsoleOIDCGroupsHoldingCommas(t *testing.T) {
	cmd := newConsoleCmd()
	if err := cmd.ParseFlags([]string{`--oidc-admin-groups="cn=palisade admins,ou=groups,dc=example,dc=com"`,
		`--oidc-admin-groups="sec-admins"`, "--oidc-viewer-groups=a,b"}); err != nil {
		t.Fatal(err)
	}
	admin, _ := cmd.Flags().GetStringSlice("oidc-admin-groups")
	viewer, _ := cmd.Flags().GetStringSlice("oidc-viewer-groups")
	if strings.Join(admin, "|") != "cn=palisade admins,ou=groups,dc=example,dc=com|sec-admins" || strings.Join(viewer, "|") != "a|b" {
		t.Errorf("admin groups %q, viewer groups %q", admin, viewer)
	}
}
