package edge

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

// serve runs h behind NewServer on a loopback listener with limits, until
// the test ends; it returns the address.
func serve(t *testing.T, h http.Handler, l Limits) string {
	t.Helper()
	ln, err := Listen("127.0.0.1:0", l)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, slog.New(slog.DiscardHandler))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dialFrom connects to addr from the loopback address src (127.0.0.2, ...),
// failing the test after 10 s of anything.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the server closed c (a read ends) rather
// than keeping it.
func closedByServer(c net.Conn) bool {
	_, err := c.Read(make([]byte, 1))
	ne, ok := err.(net.Error)
	return err != nil && !(ok && ne.Timeout())
}

// A request refused before its body is read is answered at once, and its
// connection closed, although the body has not been sent.
func TestRefuseUnreadDoesNotWaitForTheBody(t *testing.T) {
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		RefuseUnread(w, r)
		http.Error(w, "no token", http.StatusUnauthorized)
	}), Limits{})
	c := dialFrom(t, "127.0.0.1", addr)
	fmt.Fprintf(c, "POST /api/v1/agent/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer before the body: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusUnauthorized || !resp.Close {
		t.Fatalf("status %d, close %v: want 401 and Connection: close", resp.StatusCode, resp.Close)
	}
	if !closedByServer(c) {
		t.Fatal("the connection stayed open, waiting for the body")
	}
}

// Connections beyond the cap from one address are closed at accept and
// counted; another address still gets in; a freed slot is reusable.
func TestLimitPerClientAddress(t *testing.T) {
	var refused atomic.Int64
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		Limits{PerClient: 3, Refused: func() { refused.Add(1) }})
	var held []net.Conn
	for range 3 {
		c := dialFrom(t, "127.0.0.2", addr)
		c.Write([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")) // slow: no body yet
		held = append(held, c)
	}
	for i := range 5 {
		c := dialFrom(t, "127.0.0.2", addr)
		if !closedByServer(c) {
			t.Fatalf("connection %d over the cap was not closed", i+4)
		}
	}
	if got := refused.Load(); got != 5 {
		t.Errorf("refused counted %d, want 5", got)
	}
	get := func(src string) string {
		c := dialFrom(t, src, addr)
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get("127.0.0.1"); got != "ok" {
		t.Fatalf("another address was refused: %q", got)
	}
	held[0].Close()
	// The slot comes back when the server sees the close; retry a bounded
	// number of times rather than time it.
	for i := 0; ; i++ {
		if get("127.0.0.2") == "ok" {
			break
		}
		if i == 200 {
			t.Fatal("a closed connection's slot never came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLimitExemptsTrustedPeers(t *testing.T) {
	proxies, _ := ParseProxies([]string{"127.0.0.3"})
	addr := serve(t, http.NotFoundHandler(), Limits{PerClient: 1, Exempt: proxies.Trusts})
	for range 4 {
		c := dialFrom(t, "127.0.0.3", addr)
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
			t.Fatalf("a trusted proxy was capped: %v", err)
		}
	}
}

func TestKeyGroupsAnIPv6Subnet(t *testing.T) {
	a, b := netip.MustParseAddr("2001:db8:1:2::1"), netip.MustParseAddr("2001:db8:1:2:ffff::9")
	if Key(a) != Key(b) || Key(a) == Key(netip.MustParseAddr("2001:db8:1:3::1")) {
		t.Error("IPv6 clients are one per /64")
	}
	if Key(netip.MustParseAddr("::ffff:10.0.0.1")) != netip.MustParseAddr("10.0.0.1") {
		t.Error("an IPv4-mapped address is its IPv4 address")
	}
}

func TestProxies(t *testing.T) {
	p, err := ParseProxies([]string{"10.0.0.0/8", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("a bad CIDR range was taken")
	}
	tests := []struct {
		name, peer, proto, xff string
		https                  bool
		client                 string
	}{
		{"direct, no headers", "203.0.113.5:1", "", "", false, "203.0.113.5"},
		{"untrusted peer says https", "203.0.113.5:1", "https", "198.51.100.1", false, "203.0.113.5"},
		{"trusted proxy says https", "10.1.2.3:1", "https", "198.51.100.1", true, "198.51.100.1"},
		{"trusted proxy says http", "10.1.2.3:1", "http", "", false, "10.1.2.3"},
		{"single trusted address", "192.0.2.7:1", "HTTPS", "", true, "192.0.2.7"},
		{"client-made hops before the proxy's are ignored", "10.1.2.3:1", "https", "1.1.1.1, 198.51.100.1, 10.9.9.9", true, "198.51.100.1"},
		{"nearest proxy's proto counts", "10.1.2.3:1", "https, http", "", false, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := p.HTTPS(r); got != tt.https {
				t.Errorf("HTTPS = %v, want %v", got, tt.https)
			}
			if got := p.Client(r).String(); got != tt.client {
				t.Errorf("Client = %s, want %s", got, tt.client)
			}
			w := httptest.NewRecorder()
			HSTS(http.NotFoundHandler(), p).ServeHTTP(w, r)
			if got := w.Header().Get("Strict-Transport-Security") != ""; got != tt.https {
				t.Errorf("HSTS sent: %v, want %v", got, tt.https)
			}
		})
	}
}
