package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// serviceHost is the address the simulated agents are given for the
// console, as real agents are given a Service's name. Nothing listens
// there: service.dial sends each connection to a replica.
const serviceHost = "console.fleet.invalid:80"

// service plays the Kubernetes Service in front of the console replicas.
// Each new connection goes to the next ready replica, round robin (kube-
// proxy too picks per connection, and an HTTP connection stays with its
// replica). A replica is ready while its /readyz answers (see probe; the
// endpoints update is modelled as instant), and stops being ready at once
// when a connection to it is refused: that attempt fails, the next goes
// elsewhere. In a cluster a dead replica's endpoint goes only after the
// probe's failure threshold, and connections meanwhile may be refused;
// the model is the quick end of that.
//
// Connections leave from sources (loopback addresses) in turn, so that the
// fleet's connections are not bounded by one address's ephemeral ports.
type service struct {
	replicas []string // host:port
	ready    []atomic.Bool
	next     atomic.Uint64
	dialers  []*net.Dialer
	source   atomic.Uint64
	// dials counts connections opened per replica.
	dials []atomic.Int64
}

func newService(replicas []string, sources int) *service {
	s := &service{replicas: replicas, ready: make([]atomic.Bool, len(replicas)), dials: make([]atomic.Int64, len(replicas))}
	for i := range s.ready {
		s.ready[i].Store(true)
	}
	for i := range max(sources, 1) {
		ip := net.IPv4(127, 0, 0, byte(1+i))
		// http.DefaultTransport's dialer, which the agent's client has,
		// with a source address.
		s.dialers = append(s.dialers, &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second,
			LocalAddr: &net.TCPAddr{IP: ip}})
	}
	return s
}

// pick returns the next ready replica, or the next one at all when none
// is ready (its connection will fail, as a Service without endpoints
// refuses).
func (s *service) pick() int {
	n := uint64(len(s.replicas))
	start := s.next.Add(1)
	for k := range n {
		if i := int((start + k) % n); s.ready[i].Load() {
			return i
		}
	}
	return int(start % n)
}

// dial is an http.Transport's DialContext for connections to serviceHost;
// other addresses are dialed as they are.
func (s *service) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := s.dialers[s.source.Add(1)%uint64(len(s.dialers))]
	if addr != serviceHost {
		return d.DialContext(ctx, network, addr)
	}
	i := s.pick()
	conn, err := d.DialContext(ctx, network, s.replicas[i])
	if err != nil {
		if ctx.Err() == nil {
			s.ready[i].Store(false)
		}
		return nil, err
	}
	s.dials[i].Add(1)
	return conn, nil
}

// transport returns an HTTP transport whose connections to serviceHost go
// through the service.
func (s *service) transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = s.dial
	tr.Proxy = nil
	return tr
}

// install makes the service the dialer of every HTTP client built from
// then on by cloning http.DefaultTransport, as agentclient.New does
// (apiclient.NewHTTPClient): the simulated agents use the real client,
// unchanged, and reach the console the way a real agent does, through
// one address.
func (s *service) install() {
	tr := http.DefaultTransport.(*http.Transport)
	tr.DialContext = s.dial
	tr.Proxy = nil
}

// probe checks each replica's /readyz every period until ctx ends, as
// the chart's readiness probe does (3 s timeout): failureThreshold
// failures in a row take the replica out, one success puts it back.
func (s *service) probe(ctx context.Context, period time.Duration, failureThreshold int) {
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	for i, r := range s.replicas {
		go func() {
			t := time.NewTicker(period)
			defer t.Stop()
			failures := 0
			for {
				if readyz(ctx, hc, r) == nil {
					failures = 0
					s.ready[i].Store(true)
				} else if failures++; failures >= failureThreshold {
					s.ready[i].Store(false)
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
}

func readyz(ctx context.Context, hc *http.Client, hostport string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+hostport+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz: %s", resp.Status)
	}
	return nil
}

// waitReady waits until every replica is ready, up to timeout.
func (s *service) waitReady(ctx context.Context, timeout time.Duration) error {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	for _, r := range s.replicas {
		for {
			err := readyz(ctx, hc, r)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("console replica %s not ready after %s: %w", r, timeout, err)
			}
			select {
			case <-ctx.Done():
				return errors.New("interrupted")
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// String reports the connections each replica got and whether it is
// ready now.
func (s *service) String() string {
	out := ""
	for i, r := range s.replicas {
		if i > 0 {
			out += ", "
		}
		state := "ready"
		if !s.ready[i].Load() {
			state = "not ready"
		}
		out += fmt.Sprintf("%s: %d connections, %s", r, s.dials[i].Load(), state)
	}
	return out
}
