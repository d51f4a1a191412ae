package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// serviceHost is the address the simulated agents are given for the
// console, as real agents are given a Service's name. Nothing listens
// there: service.dial sends each connection to a replica.
const serviceHost = serviceName + ":80"

// serviceName is the Service's host name, which a TLS certificate names.
const serviceName = "console.fleet.invalid"

// errNoEndpoints is a connection to the Service while no replica is
// ready: kube-proxy rejects it.
var errNoEndpoints = errors.New("no ready console replica (the Service has no endpoints)")

// service plays the Kubernetes Service in front of the console replicas.
// Each new connection goes to the next ready replica, round robin (kube-
// proxy too picks per connection, and an HTTP connection stays with its
// replica). The endpoints update is modelled as instant. A replica leaves
// the endpoints:
//   - when its readiness probe fails (probe, with the chart's timings);
//   - when it is deleted (deleted: the signal of a rolling upgrade);
//   - when a connection to it is refused (a crash), until a probe passes:
//     that attempt fails, the next goes elsewhere. A kube-proxy Service
//     would keep sending new connections to a crashed replica until its
//     probe failed, so this is the best case of a Service: what a proxy
//     with passive health checks gives.
//
// Connections leave from sources (loopback addresses) in turn, so that the
// fleet's connections are not bounded by one address's ephemeral ports.
type service struct {
	replicas []string // host:port
	ready    []atomic.Bool
	gone     []atomic.Bool // deleted: never ready again
	next     atomic.Uint64
	dialers  []*net.Dialer
	source   atomic.Uint64
	// dials counts connections opened per replica.
	dials []atomic.Int64

	mu sync.Mutex
	// changes are the replicas' endpoint changes, as they happened.
	changes []string
}

func newService(replicas []string, sources int) *service {
	s := &service{replicas: replicas, ready: make([]atomic.Bool, len(replicas)), gone: make([]atomic.Bool, len(replicas)),
		dials: make([]atomic.Int64, len(replicas))}
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

// setReady puts replica i in the endpoints or takes it out, noting why
// when that changes it.
func (s *service) setReady(i int, ready bool, why string) {
	if ready && s.gone[i].Load() {
		return
	}
	if s.ready[i].Swap(ready) == ready {
		return
	}
	state := "out of the endpoints"
	if ready {
		state = "back in the endpoints"
	}
	s.mu.Lock()
	s.changes = append(s.changes, fmt.Sprintf("%s %s: %s %s", time.Now().Format("15:04:05.000"), s.replicas[i], state, why))
	s.mu.Unlock()
}

// deleted takes replica i out of the endpoints for good, as deleting its
// pod does.
func (s *service) deleted(i int) {
	s.gone[i].Store(true)
	s.setReady(i, false, "(deleted)")
}

// pick returns the next ready replica, or -1 when none is.
func (s *service) pick() int {
	n := uint64(len(s.replicas))
	start := s.next.Add(1)
	for k := range n {
		if i := int((start + k) % n); s.ready[i].Load() {
			return i
		}
	}
	return -1
}

// dial is an http.Transport's DialContext for connections to serviceHost;
// other addresses are dialed as they are.
func (s *service) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := s.dialers[s.source.Add(1)%uint64(len(s.dialers))]
	if addr != serviceHost {
		return d.DialContext(ctx, network, addr)
	}
	i := s.pick()
	if i < 0 {
		return nil, errNoEndpoints
	}
	conn, err := d.DialContext(ctx, network, s.replicas[i])
	if err != nil {
		// Only the replica's refusal takes it out: a dial that failed
		// here (out of descriptors or ports) says nothing of it.
		if ctx.Err() == nil && errors.Is(err, syscall.ECONNREFUSED) {
			s.setReady(i, false, "(a connection was refused)")
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

// probe checks each replica's /readyz every period until ctx ends, as a
// readiness probe does: an answer other than 200 within timeout is a
// failure; threshold failures in a row take the replica out, one success
// puts it back.
func (s *service) probe(ctx context.Context, period, timeout time.Duration, threshold int) {
	hc := &http.Client{Timeout: timeout, Transport: probeTransport()}
	for i, r := range s.replicas {
		go func() {
			t := time.NewTicker(period)
			defer t.Stop()
			failures := 0
			for {
				if err := readyz(ctx, hc, r); err == nil {
					failures = 0
					s.setReady(i, true, "(probe passed)")
				} else if failures++; failures >= threshold && ctx.Err() == nil {
					s.setReady(i, false, fmt.Sprintf("(%d probes failed, the last: %v)", failures, errorKind(err)))
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+hostport+"/readyz", nil)
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
	hc := &http.Client{Timeout: time.Second, Transport: probeTransport()}
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.changes) > 0 {
		out += "\n  endpoint changes:\n    " + strings.Join(s.changes, "\n    ")
	}
	return out
}

// scheme is how the consoles are reached: "https" with -tls-ca.
var scheme = "http"

// probeTransport is a readiness probe's: a new connection each time and,
// over HTTPS, no certificate check, as the kubelet's probes.
func probeTransport() *http.Transport {
	return &http.Transport{Proxy: nil, DisableKeepAlives: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
}

// trust makes tr check the consoles' certificate against the CA in file
// (nothing when file is "").
func trust(tr *http.Transport, file string) error {
	if file == "" {
		return nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s: no certificate", file)
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return nil
}
