package webhook

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// selfSigned returns a PEM certificate (valid for 127.0.0.1) with the
// given serial number, and its ECDSA key.
func selfSigned(t *testing.T, serial int64) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "palisade.palisade-system.svc"},
		DNSNames:              []string{"palisade.palisade-system.svc", "localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), cert
}

// writePair writes the files and moves their mtime to at, so that the
// reloader sees a change whatever the file system's timestamp resolution.
func writePair(t *testing.T, certFile, keyFile string, certPEM, keyPEM []byte, at time.Time) {
	t.Helper()
	for _, f := range []struct {
		path string
		data []byte
	}{{certFile, certPEM}, {keyFile, keyPEM}} {
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f.path, at, at); err != nil {
			t.Fatal(err)
		}
	}
}

type reloadLog struct {
	mu      sync.Mutex
	results []bool
}

func (l *reloadLog) record(ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.results = append(l.results, ok)
}

func (l *reloadLog) count(ok bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.results {
		if r == ok {
			n++
		}
	}
	return n
}

func TestCertReloader(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	cert1, key1, x1 := selfSigned(t, 1001)
	cert2, key2, x2 := selfSigned(t, 2002)
	base := time.Now()
	writePair(t, certFile, keyFile, cert1, key1, base)

	var reloads reloadLog
	reloader, err := NewCertReloader(certFile, keyFile, slog.New(slog.DiscardHandler), reloads.record)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(newTestHandler(t, nil))
	// The reloader's configuration exactly as the agent uses it: no static
	// certificate (httptest.StartTLS would add its own, which crypto/tls
	// prefers over GetCertificate for clients that send no SNI).
	srv.TLS = reloader.TLSConfig()
	srv.Listener = tls.NewListener(srv.Listener, srv.TLS)
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	roots := x509.NewCertPool()
	roots.AddCert(x1)
	roots.AddCert(x2)
	// A new connection per request: the certificate is chosen at the
	// handshake.
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots}, DisableKeepAlives: true, ForceAttemptHTTP2: true,
	}}
	defer client.CloseIdleConnections()
	serial := func() int64 {
		t.Helper()
		resp, err := client.Get("https://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("GET /healthz: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /healthz: %s", resp.Status)
		}
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	// poll asks until cond holds, up to a deadline well past the
	// reloader's one-second check interval.
	poll := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	if got := serial(); got != 1001 {
		t.Fatalf("serial = %d; want 1001", got)
	}

	writePair(t, certFile, keyFile, cert2, key2, base.Add(2*time.Second))
	poll("the new certificate", func() bool { return serial() == 2002 })
	if got := reloads.count(true); got != 1 {
		t.Errorf("onReload(true) called %d times; want 1", got)
	}
	if got := reloads.count(false); got != 0 {
		t.Errorf("onReload(false) called %d times; want 0", got)
	}

	// A broken certificate: the previous one keeps serving.
	if err := os.WriteFile(certFile, []byte("-----BEGIN CERTIFICATE-----\ngarbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	at := base.Add(4 * time.Second)
	if err := os.Chtimes(certFile, at, at); err != nil {
		t.Fatal(err)
	}
	poll("onReload(false)", func() bool { return serial() == 2002 && reloads.count(false) > 0 })
	if got := serial(); got != 2002 {
		t.Errorf("serial after a broken reload = %d; want 2002 (the previous certificate)", got)
	}
	if got := reloads.count(true); got != 1 {
		t.Errorf("onReload(true) called %d times; want still 1", got)
	}
	// The broken pair is reported once, not at every check.
	time.Sleep(1100 * time.Millisecond)
	serial()
	if got := reloads.count(false); got != 1 {
		t.Errorf("onReload(false) called %d times for one broken file; want 1", got)
	}

	// Fixed again: the new pair is picked up.
	writePair(t, certFile, keyFile, cert1, key1, base.Add(6*time.Second))
	poll("the repaired certificate", func() bool { return serial() == 1001 })
	if got := reloads.count(true); got != 2 {
		t.Errorf("onReload(true) called %d times; want 2", got)
	}
}

func TestNewCertReloaderFailsOnBadFiles(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, _ := selfSigned(t, 1)
	_, otherKey, _ := selfSigned(t, 2)
	tests := []struct {
		name      string
		cert, key []byte
	}{
		{"garbage certificate", []byte("garbage"), keyPEM},
		{"garbage key", certPEM, []byte("garbage")},
		{"mismatched key", certPEM, otherKey},
		{"missing files", nil, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certFile := filepath.Join(dir, "c"+string(rune('a'+i)))
			keyFile := filepath.Join(dir, "k"+string(rune('a'+i)))
			if tt.cert != nil {
				writePair(t, certFile, keyFile, tt.cert, tt.key, time.Now())
			}
			if _, err := NewCertReloader(certFile, keyFile, slog.New(slog.DiscardHandler), nil); err == nil {
				t.Error("NewCertReloader succeeded; want an error")
			}
		})
	}
}
