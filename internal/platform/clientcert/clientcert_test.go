package clientcert_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/platform/clientcert"
	"github.com/palisade-dev/palisade/internal/platform/clientcert/clientcerttest"
)

// Each endpoint accepts only its own CAs' certificates, though one
// handshake verifies them all; a caller without a certificate connects.
func TestEachEndpointTrustsItsOwnCAs(t *testing.T) {
	apiCA, falcoCA, other := clientcerttest.NewCA(t, "apiserver-ca"), clientcerttest.NewCA(t, "falco-ca"), clientcerttest.NewCA(t, "other-ca")
	admission, err := clientcert.Load(apiCA.File, "--admission-client-ca-file")
	if err != nil {
		t.Fatal(err)
	}
	runtime, err := clientcert.Load(falcoCA.File, "--runtime-client-ca-file")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for path, b := range map[string]*clientcert.Bundle{"/validate": admission, "/falco": runtime, "/healthz": nil} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if b.Verified(r) {
				io.WriteString(w, "verified")
			} else {
				io.WriteString(w, "anonymous")
			}
		})
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{}
	clientcert.Configure(srv.TLS, admission, nil, runtime)
	srv.StartTLS()
	defer srv.Close()

	get := func(cert *tls.Certificate, path string) string {
		t.Helper()
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL + path)
		if err != nil {
			return "error: " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	apiserver, falco, stranger := apiCA.Client(t, "kube-apiserver"), falcoCA.Client(t, "falco"), other.Client(t, "x")
	for _, tc := range []struct {
		name string
		cert *tls.Certificate
		path string
		want string
	}{
		{"the API server on /validate", &apiserver, "/validate", "verified"},
		{"Falco on /falco", &falco, "/falco", "verified"},
		{"Falco on /validate", &falco, "/validate", "anonymous"},
		{"the API server on /falco", &apiserver, "/falco", "anonymous"},
		{"no certificate", nil, "/validate", "anonymous"},
		{"no certificate, /healthz", nil, "/healthz", "anonymous"},
	} {
		if got := get(tc.cert, tc.path); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// A certificate of another CA is never verified (Go's client does not
	// even send it: its issuer is not among those the server names).
	if got := get(&stranger, "/validate"); got == "verified" {
		t.Errorf("an unknown CA's certificate: %q", got)
	}
}

func TestLoadErrorsNameTheFlag(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := clientcert.Load(bad, "--admission-client-ca-file"); err == nil || !strings.HasPrefix(err.Error(), "--admission-client-ca-file "+bad+": no PEM certificate") {
		t.Errorf("Load = %v", err)
	}
	if _, err := clientcert.Load(filepath.Join(t.TempDir(), "missing"), "--x"); err == nil || !strings.HasPrefix(err.Error(), "--x: ") {
		t.Errorf("missing file: %v", err)
	}
}
