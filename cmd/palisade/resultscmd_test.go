package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startConsole runs a console on a free loopback port with a SQLite file
// in a temporary folder, until the test ends, and returns its URL and the
// admin token file.
func startConsole(t *testing.T) (string, string) {
	return startConsoleWith(t, nil)
}

// startConsoleWith is startConsole with the configuration changed by set
// first (when not nil); a console serving TLS has an https:// URL.
func startConsoleWith(t *testing.T, set func(*consoleConfig)) (string, string) {
	t.Helper()
	return startConsoleLogging(t, slog.New(slog.DiscardHandler), set)
}

// startConsoleLogging is startConsoleWith logging to logger.
func startConsoleLogging(t *testing.T, logger *slog.Logger, set func(*consoleConfig)) (string, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := consoleConfig{listen: "127.0.0.1:0", database: "sqlite://" + filepath.Join(dir, "palisade.db"),
		adminTokenFile: filepath.Join(dir, "admin-token")}
	if set != nil {
		set(&cfg)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	scheme := "http://"
	if cfg.tlsCertFile != "" {
		scheme = "https://"
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- runConsole(ctx, cfg, logger, io.Discard, ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("console: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return scheme + addr.String(), cfg.adminTokenFile
	case err := <-done:
		done <- err // for the clean-up
		t.Fatalf("console did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("console did not start in 30 s")
	}
	return "", ""
}

func getScanResults(t *testing.T, consoleURL, token, image string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, consoleURL+"/api/v1/scan-results?image="+url.QueryEscape(image), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestResultsImport(t *testing.T) {
	consoleURL, tokenFile := startConsole(t)
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	malware := "../../internal/supply/scanreport/testdata/palisade-malware.yaml"
	operator := "../../internal/supply/scanreport/testdata/operator-list.yaml"

	code, out, errOut := palisade(t, "", "results", "import", malware, operator, "--console", consoleURL, "--token-file", tokenFile)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	want := malware + ": 2 images (palisade), 2 added, 0 replaced\n" +
		operator + ": 2 images (trivy-operator), 1 added, 1 replaced\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "warning: operator-list.yaml:") || !strings.Contains(errOut, "ConfigAuditReport") {
		t.Errorf("stderr lacks the located warning:\n%s", errOut)
	}
	if strings.Contains(out+errOut, token) {
		t.Error("the token was printed")
	}

	// Read back: the malware scan and the operator's later scans, merged.
	status, im := getScanResults(t, consoleURL, token, "registry.example.com/shop/api:1.4.2")
	malwareFound, _ := im["malware"].([]any)
	scans, _ := im["scans"].([]any)
	if status != 200 || len(malwareFound) != 1 || len(scans) != 3 {
		t.Errorf("GET after the import: %d %v", status, im)
	}

	// A bad report: every problem with its line, exit 2; the good file
	// beside it is still imported. The token comes from the environment.
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: palisade.dev/v1\nkind: ScanResult\nimage: {reference: nginx:1.25}\nscans:\n  - {type: virus, time: \"2026-05-03T10:00:00Z\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("apiVersion: palisade.dev/v1\nkind: ScanResult\nimage: {reference: busybox:1.36}\nscans:\n  - {type: malware, time: \"2026-05-03T10:00:00Z\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(tokenEnv, token)
	code, out, errOut = palisade(t, "", "results", "import", bad, good, "--console", consoleURL)
	if code != exitInput || !strings.Contains(errOut, bad+": not imported:\nbad.yaml:5: scans[0].type: Unsupported value: \"virus\"") {
		t.Errorf("bad report: exit %d\nstderr:\n%s", code, errOut)
	}
	if out != good+": 1 image (palisade), 1 added, 0 replaced\n" {
		t.Errorf("the good file beside the bad one:\n%s", out)
	}
	if status, _ := getScanResults(t, consoleURL, token, "nginx:1.25"); status != 404 {
		t.Errorf("the refused report was imported: %d", status)
	}

	// A wrong token stops at once.
	wrong := filepath.Join(dir, "wrong-token")
	if err := os.WriteFile(wrong, []byte("not-the-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = palisade(t, "", "results", "import", good, "--console", consoleURL, "--token-file", wrong)
	if code == exitOK || !strings.Contains(errOut, "refuses the token (401)") || strings.Contains(errOut, "not-the-token") {
		t.Errorf("wrong token: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := palisade(t, "", "results", "import", good); code != exitInput || !strings.Contains(errOut, "--console is required") {
		t.Errorf("no --console: exit %d\n%s", code, errOut)
	}
}
