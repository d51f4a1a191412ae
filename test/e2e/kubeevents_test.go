package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// An isolation is also a Kubernetes Event on the pod, which the API server
// holds: events.k8s.io/v1, reason Isolated, reported by palisade.dev/agent,
// its note the message of Palisade's own event.
func TestIsolationIsAKubernetesEvent(t *testing.T) {
	const ns, pod = "cont-kube-events", "suspect"
	continuousNamespace(t, ns)
	a := startContinuous(t, "cont-kube-events", `clusterWide: {}
namespaced:
  - name: k
    namespaces: [`+ns+`]
    continuous: {rules: [{rule: privileged, action: isolate}]}`)
	privilegedPod(t, ns, pod, "busybox")
	cleanup(t, "pod", "-n", ns, pod)
	waitFor(t, "the isolation label", 20*time.Second, func() bool { return podLabel(t, ns, pod, "palisade.dev/isolated") == "true" })

	type kubeEvent struct {
		Type, Reason, Action, Note string
		ReportingController        string `json:"reportingController"`
		ReportingInstance          string `json:"reportingInstance"`
		Regarding                  struct{ Kind, Name, Namespace, UID string }
		Related                    *struct{ Kind, Name string }
	}
	var got *kubeEvent
	waitFor(t, "the Isolated event in the API server", 20*time.Second, func() bool {
		r := kubectl(context.Background(), "", "get", "events.v1.events.k8s.io", "-n", ns, "-o", "json")
		if r.err != nil {
			return false
		}
		var list struct{ Items []kubeEvent }
		if json.Unmarshal([]byte(r.stdout), &list) != nil {
			return false
		}
		for i, ev := range list.Items {
			if ev.Reason == "Isolated" && ev.Regarding.Name == pod {
				got = &list.Items[i]
				return true
			}
		}
		return false
	})
	uid := strings.TrimSpace(kubectl(context.Background(), "", "get", "pod", "-n", ns, pod, "-o", "jsonpath={.metadata.uid}").stdout)
	if got.Type != "Warning" || got.Action != "Isolate" || got.ReportingController != "palisade.dev/agent" ||
		!strings.HasPrefix(got.ReportingInstance, "palisade.dev/agent-") ||
		got.Regarding.Kind != "Pod" || got.Regarding.Namespace != ns || got.Regarding.UID != uid ||
		got.Related == nil || got.Related.Kind != "NetworkPolicy" || got.Related.Name != "palisade-isolate" {
		t.Errorf("event %+v", *got)
	}
	const want = `violates rule privileged "true" in container(s) "app" (isolate). (pod isolated: labelled palisade.dev/isolated=true`
	if !strings.Contains(got.Note, want) || !a.hasEvent(pod, "isolate", got.Note) {
		t.Errorf("note %q: want Palisade's own event message, containing %q", got.Note, want)
	}
}
