// Package apiclient holds what Palisade's clients of the console's REST
// API share (the managed agent, `palisade results`): an HTTP client that
// trusts a given CA and never follows redirects, whether the bearer token
// travels protected, and the API's error messages.
package apiclient

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// LoadCAPool reads the PEM CA certificates in path; flag names the option
// that gave it, for errors ("--ca-file").
func LoadCAPool(path, flag string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %s: no PEM certificate found", flag, path)
	}
	return pool, nil
}

// NewHTTPClient returns a client that verifies the server with the CAs of
// caFile (the system roots when empty; caFlag names the option for
// errors), times out after timeout (0: never), and never follows a
// redirect: an auth proxy's login page would pass for the console's
// answer, and the token would go along.
func NewHTTPClient(caFile, caFlag string, timeout time.Duration, maxIdlePerHost int) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if maxIdlePerHost > 0 {
		tr.MaxIdleConnsPerHost = maxIdlePerHost
	}
	if caFile != "" {
		pool, err := LoadCAPool(caFile, caFlag)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

// Private reports whether a token sent to u travels protected: over HTTPS,
// or to a loopback address.
func Private(u *url.URL) bool {
	h := u.Hostname()
	ip := net.ParseIP(h)
	return u.Scheme == "https" || h == "localhost" || (ip != nil && ip.IsLoopback())
}

// ErrorMessage is the message of an API error body ({"error": "..."}), or
// the body itself when it is not one.
func ErrorMessage(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(body))
}
