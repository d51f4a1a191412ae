package devcert

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"
)

// A client that trusts CAPEM completes a TLS handshake with a server that
// serves tls.crt and tls.key, for every host named.
func TestWriteServing(t *testing.T) {
	f, err := WriteServing(t.TempDir(), 2*time.Hour, "127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if until := time.Until(leaf.NotAfter); until < 2*time.Hour-time.Minute || until > 2*time.Hour {
		t.Errorf("serving certificate valid for another %v, want validFor (2h)", until)
	}
	if since := time.Since(leaf.NotBefore); since < time.Hour-time.Minute {
		t.Errorf("serving certificate valid since %v ago, want an hour (clock skew)", since)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(f.CAPEM) {
		t.Fatal("CAPEM holds no certificate")
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, host := range []string{"127.0.0.1", "localhost"} {
		c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", port), &tls.Config{RootCAs: roots, ServerName: host})
		if err != nil {
			t.Errorf("handshake as %s: %v", host, err)
			continue
		}
		c.Close()
	}
}
