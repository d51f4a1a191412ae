package containment

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Verification is what the agent saw of an isolation on the network.
type Verification string

const (
	// Cut: a TCP port of the pod answered the agent before isolation and
	// stopped answering after it.
	Cut Verification = "cut"
	// NotCut: the port still answers once the NetworkPolicy has had
	// Within to take effect. Nothing enforces NetworkPolicy for this pod.
	NotCut Verification = "not_cut"
	// Unverified: the pod has no IP, or answered on none of its TCP
	// ports before isolation, so there was nothing to compare.
	Unverified Verification = "unverified"
)

// ReasonIsolationNotEnforced is the Kubernetes Event recorded on a pod
// whose isolation was written but does not cut it off.
const ReasonIsolationNotEnforced = "IsolationNotEnforced"

// Verifier checks that isolation cuts a pod off, by traffic: from the
// agent's own network namespace it dials one of the pod's TCP ports (its
// declared container ports, then its probes' ports) before the pod is
// labelled, and again after, until the port stops answering or Within
// passes. The agent is a pod like any other to the network plugin, so a
// NetworkPolicy that denies all ingress to the pod must stop it.
//
// It proves the cut for ingress from the agent's address only; egress is
// denied by the same policy and not dialled.
type Verifier struct {
	// Dial opens a TCP connection (a net.Dialer's when nil).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds each dial (300 ms when zero): a dropped SYN is
	// silence, so a dial that has not connected by then counts as cut.
	Timeout time.Duration
	// Within is how long the network plugin may take to enforce a new
	// NetworkPolicy (5 s when zero); Interval is the wait between dials
	// (100 ms when zero).
	Within, Interval time.Duration
	// Results counts verifications by result (nil: not counted).
	Results *prometheus.CounterVec
}

// NewVerificationMetric is the counter Verifier.Results expects.
func NewVerificationMetric() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_isolation_verifications_total",
		Help: "Isolations checked by traffic from the agent, by result: cut, not_cut (NetworkPolicy is not enforced), unverified (no TCP port answered before)."},
		[]string{"result"})
}

func (v *Verifier) defaults() (time.Duration, time.Duration, time.Duration) {
	timeout, within, interval := v.Timeout, v.Within, v.Interval
	if timeout <= 0 {
		timeout = 300 * time.Millisecond
	}
	if within <= 0 {
		within = 5 * time.Second
	}
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	return timeout, within, interval
}

func (v *Verifier) answers(ctx context.Context, addr string) bool {
	timeout, _, _ := v.defaults()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dial := v.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// Before returns the first of the pod's TCP addresses that answers now
// ("" when none does, or the pod has no IP).
func (v *Verifier) Before(ctx context.Context, pod *corev1.Pod) string {
	if pod.Status.PodIP == "" || pod.Spec.HostNetwork {
		return ""
	}
	ports := tcpPorts(pod)
	if len(ports) > maxDialled {
		ports = ports[:maxDialled]
	}
	for _, port := range ports {
		addr := net.JoinHostPort(pod.Status.PodIP, strconv.Itoa(port))
		if v.answers(ctx, addr) {
			return addr
		}
	}
	return ""
}

// After waits until addr stops answering, up to Within, and says what it
// saw and how long the cut took (until the first of the silent dials).
func (v *Verifier) After(ctx context.Context, addr string) (Verification, time.Duration) {
	if addr == "" {
		return v.count(Unverified), 0
	}
	_, within, interval := v.defaults()
	start := time.Now()
	var silent int                // dials in a row that got no answer
	var firstSilent time.Duration // when the first of them was made
	for {
		answered := v.answers(ctx, addr)
		if ctx.Err() != nil {
			// Stopping: a dial cut short says nothing about the network.
			return v.count(Unverified), time.Since(start)
		}
		if answered {
			silent = 0
		} else {
			if silent == 0 {
				firstSilent = time.Since(start)
			}
			silent++
			// One dial may fail for other reasons (a slow pod, a restart):
			// the port must stay silent for cutDials dials in a row.
			if silent >= cutDials {
				return v.count(Cut), firstSilent
			}
		}
		if answered && time.Since(start) >= within {
			return v.count(NotCut), time.Since(start)
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

// cutDials is how many dials in a row must go unanswered for a cut.
const cutDials = 3

func (v *Verifier) count(r Verification) Verification {
	if v.Results != nil {
		v.Results.WithLabelValues(string(r)).Inc()
	}
	return r
}

// maxDialled bounds the ports dialled before isolation, each up to Timeout.
const maxDialled = 4

// tcpPorts are the pod's TCP ports worth dialling: declared container
// ports first, then the ports of TCP and HTTP probes, each once.
func tcpPorts(pod *corev1.Pod) []int {
	var ports []int
	add := func(p int) {
		if p > 0 && p < 65536 && !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	named := map[string]int{}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
				add(int(p.ContainerPort))
				if p.Name != "" {
					named[p.Name] = int(p.ContainerPort)
				}
			}
		}
	}
	port := func(p intstr.IntOrString) int {
		if p.Type == intstr.String {
			return named[p.StrVal]
		}
		return p.IntValue()
	}
	for _, c := range pod.Spec.Containers {
		for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
			switch {
			case pr == nil:
			case pr.HTTPGet != nil:
				add(port(pr.HTTPGet.Port))
			case pr.TCPSocket != nil:
				add(port(pr.TCPSocket.Port))
			}
		}
	}
	return ports
}

// verifiedOutcome is Isolate's outcome once the traffic was checked.
func verifiedOutcome(r Verification, addr string, took, within time.Duration) string {
	switch r {
	case Cut:
		return fmt.Sprintf("(pod isolated: labelled %s=true, all ingress and egress denied by NetworkPolicy %s; verified: %s stopped answering the agent after %s)",
			IsolationLabel, NetworkPolicyName, addr, took.Round(10*time.Millisecond))
	case NotCut:
		return fmt.Sprintf("(NOT isolated: labelled %s=true and NetworkPolicy %s written, but %s still answers the agent after %s: nothing enforces NetworkPolicy for this pod)",
			IsolationLabel, NetworkPolicyName, addr, within)
	}
	return fmt.Sprintf("(pod isolated: labelled %s=true, all ingress and egress denied by NetworkPolicy %s; not verified: the pod answered the agent on no TCP port before)",
		IsolationLabel, NetworkPolicyName)
}
