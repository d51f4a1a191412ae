// Package devcert makes a throwaway certificate authority and a serving
// certificate signed by it, for loopback use: `palisade demo` and the
// tests that run the agent behind a real kube-apiserver. Production
// clusters use cert-manager or their own PKI (docs/operations.md).
//
// client-go's cert.GenerateSelfSignedCertKeyWithOptions makes the pair; this
// package only writes it out as the files a webhook server and its
// caBundle want.
package devcert

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/util/cert"
)

// Files are the paths WriteServing wrote.
type Files struct {
	CA, Cert, Key string
	// CAPEM is the CA certificate, for a webhook's caBundle.
	CAPEM []byte
}

// WriteServing writes ca.crt, tls.crt and tls.key into dir: a new CA and a
// certificate it signs for hosts (IP addresses or DNS names), valid from
// an hour ago (clock skew) until validFor from now. tls.crt holds the serving
// certificate followed by the CA's.
func WriteServing(dir string, validFor time.Duration, hosts ...string) (Files, error) {
	if len(hosts) == 0 {
		return Files{}, errors.New("devcert: no host to certify")
	}
	// client-go backdates NotBefore by an hour and counts MaxAge from
	// there; the hour is added back so the certificate lasts validFor from now.
	opts := cert.SelfSignedCertKeyOptions{Host: hosts[0], MaxAge: validFor + time.Hour}
	for _, h := range hosts[1:] {
		if ip := net.ParseIP(h); ip != nil {
			opts.AlternateIPs = append(opts.AlternateIPs, ip)
		} else {
			opts.AlternateDNS = append(opts.AlternateDNS, h)
		}
	}
	chainPEM, keyPEM, err := cert.GenerateSelfSignedCertKeyWithOptions(opts)
	if err != nil {
		return Files{}, fmt.Errorf("devcert: %w", err)
	}
	chain, err := cert.ParseCertsPEM(chainPEM)
	if err != nil {
		return Files{}, fmt.Errorf("devcert: %w", err)
	}
	if len(chain) != 2 || !chain[1].IsCA {
		return Files{}, fmt.Errorf("devcert: expected a serving certificate and its CA, got %d certificates", len(chain))
	}
	caPEM, err := cert.EncodeCertificates(chain[1])
	if err != nil {
		return Files{}, fmt.Errorf("devcert: %w", err)
	}
	f := Files{CA: filepath.Join(dir, "ca.crt"), Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key"), CAPEM: caPEM}
	for _, w := range []struct {
		path string
		data []byte
	}{{f.CA, f.CAPEM}, {f.Cert, chainPEM}, {f.Key, keyPEM}} {
		if err := os.WriteFile(w.path, w.data, 0o600); err != nil {
			return Files{}, fmt.Errorf("devcert: %w", err)
		}
	}
	return f, nil
}
