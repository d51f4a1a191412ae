package clientcert

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
)

// Bundle is the CA certificates one endpoint trusts for its callers.
type Bundle struct {
	certs []*x509.Certificate
	// raw holds each certificate's DER, for the check on every request.
	raw map[string]struct{}
}

// Load reads the PEM CA certificates in path; flag names the option in
// errors.
func Load(path, flag string) (*Bundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	b := &Bundle{raw: map[string]struct{}{}}
	for len(data) > 0 {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", flag, path, err)
		}
		b.certs = append(b.certs, c)
		b.raw[string(c.Raw)] = struct{}{}
	}
	if len(b.certs) == 0 {
		return nil, fmt.Errorf("%s %s: no PEM certificate found", flag, path)
	}
	return b, nil
}

// Verified reports whether r came with a client certificate that the TLS
// server verified through one of b's CAs. A nil Bundle verifies nothing.
func (b *Bundle) Verified(r *http.Request) bool {
	if b == nil || r.TLS == nil {
		return false
	}
	for _, chain := range r.TLS.VerifiedChains {
		for _, c := range chain[min(1, len(chain)-1):] {
			if _, ok := b.raw[string(c.Raw)]; ok {
				return true
			}
		}
	}
	return false
}

// Configure makes cfg ask callers for a certificate and verify the one
// they present against every bundle (nil ones skipped); which bundle a
// request needs is its endpoint's business (Verified). A caller without a
// certificate still connects: endpoints that take none (/healthz, a bearer
// token) stay open to it.
func Configure(cfg *tls.Config, bundles ...*Bundle) {
	var pool *x509.CertPool
	for _, b := range bundles {
		if b == nil {
			continue
		}
		if pool == nil {
			pool = x509.NewCertPool()
		}
		for _, c := range b.certs {
			pool.AddCert(c)
		}
	}
	if pool != nil {
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
}
