package edge

import (
	"net"
	"net/netip"
	"sync"
)

// DefaultPerClient is the default cap on the connections one client
// address holds: a browser opens about six, an agent two or three, so this
// leaves room for many behind one NAT address while a single address cannot
// take every descriptor of the process.
const DefaultPerClient = 64

// Limits bound the connections a listener hands out.
type Limits struct {
	// PerClient is the most connections one client address (an IPv6
	// client's /64) holds at once; 0 is no cap.
	PerClient int
	// Exempt, when not nil, lifts the cap for a peer: a trusted proxy
	// speaks for many clients.
	Exempt func(netip.Addr) bool
	// Refused, when not nil, is called for each connection closed at
	// accept because its address was at the cap.
	Refused func()
}

// Listen listens on the TCP address addr with the limits l.
func Listen(addr string, l Limits) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Limit(ln, l), nil
}

// Limit returns ln with the limits l: a connection from an address already
// holding l.PerClient is closed as soon as it is accepted.
func Limit(ln net.Listener, l Limits) net.Listener {
	if l.PerClient <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, l: l, open: map[netip.Addr]int{}}
}

type limitListener struct {
	net.Listener
	l    Limits
	mu   sync.Mutex
	open map[netip.Addr]int
}

func (ll *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		peer := connAddr(c)
		if !peer.IsValid() || (ll.l.Exempt != nil && ll.l.Exempt(peer)) {
			return c, nil
		}
		key := Key(peer)
		if !ll.acquire(key) {
			c.Close()
			if ll.l.Refused != nil {
				ll.l.Refused()
			}
			continue
		}
		return &limitConn{Conn: c, release: sync.OnceFunc(func() { ll.release(key) })}, nil
	}
}

func (ll *limitListener) acquire(key netip.Addr) bool {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if ll.open[key] >= ll.l.PerClient {
		return false
	}
	ll.open[key]++
	return true
}

func (ll *limitListener) release(key netip.Addr) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if ll.open[key]--; ll.open[key] <= 0 {
		delete(ll.open, key)
	}
}

// limitConn gives its slot back when closed (once, however often Close is
// called).
type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// connAddr is the peer's IP address, or the zero Addr for a non-TCP peer.
func connAddr(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// Key is what counts as one client for caps and throttles: an IPv4
// address, or an IPv6 address's /64 (what one subscriber is given).
func Key(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}
