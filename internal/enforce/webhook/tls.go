package webhook

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// CertReloader serves a certificate from files and reloads it when they
// change (a Secret update, cert-manager renewal). A broken new pair is
// logged and the previous certificate keeps serving.
type CertReloader struct {
	certFile, keyFile string
	logger            *slog.Logger
	onReload          func(ok bool)

	mu        sync.Mutex
	cert      *tls.Certificate
	certMod   time.Time
	keyMod    time.Time
	lastCheck time.Time
	// badCertMod and badKeyMod are the modification times of a pair that
	// failed to load: it is not retried (nor logged again) until a file
	// changes.
	badCertMod, badKeyMod time.Time
}

// NewCertReloader loads the pair once; it fails if that first load fails.
func NewCertReloader(certFile, keyFile string, logger *slog.Logger, onReload func(ok bool)) (*CertReloader, error) {
	if onReload == nil {
		onReload = func(bool) {}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &CertReloader{certFile: certFile, keyFile: keyFile, logger: logger, onReload: onReload}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *CertReloader) reload() error {
	cst, err := os.Stat(c.certFile)
	if err != nil {
		return fmt.Errorf("tls certificate: %w", err)
	}
	kst, err := os.Stat(c.keyFile)
	if err != nil {
		return fmt.Errorf("tls key: %w", err)
	}
	if c.cert != nil && cst.ModTime().Equal(c.certMod) && kst.ModTime().Equal(c.keyMod) {
		return nil
	}
	if c.cert != nil && cst.ModTime().Equal(c.badCertMod) && kst.ModTime().Equal(c.badKeyMod) {
		return nil // already reported
	}
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.badCertMod, c.badKeyMod = cst.ModTime(), kst.ModTime()
		return fmt.Errorf("load tls key pair: %w", err)
	}
	c.cert, c.certMod, c.keyMod = &pair, cst.ModTime(), kst.ModTime()
	return nil
}

// GetCertificate implements tls.Config.GetCertificate. It looks at the
// files at most once a second.
func (c *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.lastCheck) >= time.Second {
		c.lastCheck = time.Now()
		before := c.cert
		if err := c.reload(); err != nil {
			c.logger.Error("tls reload failed; serving the previous certificate", keyError, err)
			c.onReload(false)
		} else if c.cert != before {
			c.logger.Info("tls certificate reloaded", "file", c.certFile)
			c.onReload(true)
		}
	}
	return c.cert, nil
}

// TLSConfig returns a server configuration using the reloader.
func (c *CertReloader) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.GetCertificate, NextProtos: []string{"h2", "http/1.1"}}
}
