package edge

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the peers (CIDR ranges) trusted to say, in X-Forwarded-Proto
// and X-Forwarded-For, how a client reached them: a TLS-terminating load
// balancer or ingress controller in front of the console.
type Proxies []netip.Prefix

// ParseProxies reads CIDR ranges ("10.0.0.0/8") or single addresses.
func ParseProxies(list []string) (Proxies, error) {
	var out Proxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR range", s)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR range", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Trusts reports whether a is one of the proxies.
func (p Proxies) Trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, pre := range p {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// Peer is the address the request came from (the TCP peer), or the zero
// Addr when RemoteAddr is not an address (a test's request).
func Peer(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// HTTPS reports whether the client reached the server over TLS: the
// connection is TLS, or a trusted proxy forwarded it with
// X-Forwarded-Proto: https (the value the nearest proxy set, the last).
func (p Proxies) HTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if len(p) == 0 || !p.Trusts(Peer(r)) {
		return false
	}
	v := r.Header.Values("X-Forwarded-Proto")
	if len(v) == 0 {
		return false
	}
	last := v[len(v)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// Client is the client's address: the TCP peer, or, when the peer is a
// trusted proxy, the last address in X-Forwarded-For that is not a trusted
// proxy (the ones before it could be made up by the client).
func (p Proxies) Client(r *http.Request) netip.Addr {
	peer := Peer(r)
	if len(p) == 0 || !p.Trusts(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		if !p.Trusts(a) {
			return a.Unmap()
		}
	}
	return peer
}

// HSTS adds Strict-Transport-Security (one year) to the answers of next to
// clients that reached it over TLS, as HTTPS tells.
func HSTS(next http.Handler, p Proxies) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.HTTPS(r) {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
