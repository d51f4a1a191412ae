package containment

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// An isolation is reported as done only when the pod's port stops
// answering; a NetworkPolicy nothing enforces is reported as not done; a
// pod that answered on no port is isolated but says it was not verified.
// The "network plugin" here is the test closing the pod's listener when
// the pod is labelled.
func TestIsolateVerifiesByTraffic(t *testing.T) {
	for _, tc := range []struct {
		name      string
		listen    bool // the pod serves on its port before isolation
		enforced  bool // the label's NetworkPolicy takes effect
		want      Verification
		outcome   string
		eventType string
	}{
		{"enforced", true, true, Cut, "(pod isolated: ", ReasonIsolated},
		{"no enforcer", true, false, NotCut, "(NOT isolated: ", ReasonIsolationNotEnforced},
		{"nothing listening", false, true, Unverified, "not verified: the pod answered the agent on no TCP port before", ReasonIsolated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := ln.Addr().(*net.TCPAddr).Port
			if !tc.listen {
				ln.Close()
			} else {
				go func() {
					for {
						c, err := ln.Accept()
						if err != nil {
							return
						}
						c.Close()
					}
				}()
				defer ln.Close()
			}
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "u-web"},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web",
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt(port)}}}}}},
				Status: corev1.PodStatus{PodIP: "127.0.0.1"},
			}
			client := fake.NewClientset(pod)
			client.PrependReactor("patch", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
				if tc.enforced && tc.listen {
					ln.Close()
				}
				return false, nil, nil
			})
			events := &recordedEvents{}
			results := NewVerificationMetric()
			c, err := New(Options{Client: client, Events: events,
				Verify: &Verifier{Within: 500 * time.Millisecond, Interval: 20 * time.Millisecond, Results: results}})
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Isolate(t.Context(), pod, IsolatedByContinuous, "privileged", "privileged container")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tc.outcome) {
				t.Errorf("outcome %q, want it to contain %q", out, tc.outcome)
			}
			if tc.listen && !strings.Contains(out, "127.0.0.1:"+strconv.Itoa(port)) {
				t.Errorf("outcome %q does not name the address dialled", out)
			}
			if got := testutil.ToFloat64(results.WithLabelValues(string(tc.want))); got != 1 {
				t.Errorf("palisade_isolation_verifications_total{result=%q} = %v, want 1", tc.want, got)
			}
			if len(events.reasons) != 1 || events.reasons[0] != tc.eventType {
				t.Errorf("Kubernetes Events %v, want [%s]", events.reasons, tc.eventType)
			}
		})
	}
}

type recordedEvents struct{ reasons []string }

func (r *recordedEvents) Event(_, _ *corev1.ObjectReference, _, reason, _, _ string) {
	r.reasons = append(r.reasons, reason)
}

// The ports dialled: declared TCP ports, then probe ports (named ones
// resolved), each once, UDP left out.
func TestTCPPorts(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}},
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("http")}}},
		LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt(9000)}}},
	}}}}
	got := tcpPorts(pod)
	if want := []int{8080, 9000}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("tcpPorts = %v, want %v", got, want)
	}
}
