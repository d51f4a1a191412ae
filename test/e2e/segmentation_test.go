package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// segNew is the namespace the test creates: new on every run (there is
// no controller-manager to finish deleting namespaces).
var segNew = fmt.Sprintf("seg-%d", time.Now().UnixNano()%1_000_000)

// segmentationSpec segments namespace segNew (created by the test),
// allowing ingress from the listed namespaces.
func segmentationSpec(enabled string, allow string) string {
	return `clusterWide: {}
namespaced:
  - name: segmented
    namespaces: [` + segNew + `]
    segmentation: {enabled: ` + enabled + `, allowFromNamespaces: [` + allow + `]}`
}

func segmentationPolicy(t *testing.T) (uid, allowed string, found bool) {
	t.Helper()
	r := kubectl(context.Background(), "", "get", "networkpolicy", "palisade-segmentation", "-n", segNew, "-o",
		`jsonpath={.metadata.uid} {.spec.policyTypes[*]} {.spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].values[*]}`)
	if r.err != nil {
		return "", "", false
	}
	f := strings.SplitN(strings.TrimSpace(r.stdout), " ", 3)
	if len(f) < 2 || f[1] != "Ingress" {
		t.Fatalf("palisade-segmentation: %q, want an Ingress policy", r.stdout)
	}
	if len(f) == 3 {
		allowed = f[2]
	}
	return f[0], allowed, true
}

// TestSegmentationAtBirth: a namespace created under a definition with
// segmentation gets the managed NetworkPolicy within seconds; deleting it
// brings it back; a policy change updates it; turning the option off
// removes it; every change is an event.
func TestSegmentationAtBirth(t *testing.T) {
	a := startContinuous(t, "segmentation", segmentationSpec("true", "monitoring"))
	start := time.Now()
	namespace(t, segNew)

	var uid, allowed string
	waitFor(t, "the NetworkPolicy in the new namespace", 10*time.Second, func() bool {
		var found bool
		uid, allowed, found = segmentationPolicy(t)
		return found
	})
	// Informational (docs/performance.md): namespace created to the
	// NetworkPolicy seen by kubectl, polling every 50 ms.
	t.Logf("new namespace segmented after %s", time.Since(start).Round(time.Millisecond))
	if allowed != "monitoring" {
		t.Errorf("allowed namespaces %q, want monitoring", allowed)
	}

	if r := kubectl(context.Background(), "", "delete", "networkpolicy", "palisade-segmentation", "-n", segNew); r.err != nil {
		t.Fatalf("delete: %s", r)
	}
	waitFor(t, "the deleted NetworkPolicy to come back", 10*time.Second, func() bool {
		got, _, found := segmentationPolicy(t)
		return found && got != uid
	})

	a.setPolicy("segmentation-2", segmentationSpec("true", "monitoring, ingress-nginx"))
	waitFor(t, "the NetworkPolicy to follow the policy", 10*time.Second, func() bool {
		_, allowed, _ = segmentationPolicy(t)
		return allowed == "ingress-nginx monitoring"
	})

	// The preview, against the live namespace: a pod nothing restricts,
	// exposed by a NodePort Service, and the namespace already managed.
	workload := `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: NS, labels: {app: web}}
spec: {containers: [{name: app, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: NS}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80}]}
`
	segPreview := segNew + "-preview"
	workload = strings.ReplaceAll(workload, "NS", segNew)
	if r := kubectlStdin(context.Background(), workload, "", "apply", "-f", "-"); r.err != nil {
		t.Fatalf("create the workload: %s", r)
	}
	preview := filepath.Join(t.TempDir(), "policy.yaml")
	spec := strings.ReplaceAll(segmentationSpec("true", "monitoring"), "["+segNew+"]", "["+segNew+", "+segPreview+"]")
	if err := os.WriteFile(preview, []byte(policyYAML("preview", spec)), 0o600); err != nil {
		t.Fatal(err)
	}
	namespace(t, segPreview)
	if r := kubectlStdin(context.Background(), strings.ReplaceAll(workload, segNew, segPreview), "", "apply", "-f", "-"); r.err != nil {
		t.Fatalf("create the workload: %s", r)
	}
	out, err := exec.Command(env.bin, "scan", "--cluster", "-A", "--kubeconfig", env.kubeconfig, "--policy", preview, "--preview-segmentation").CombinedOutput()
	wantPreview := strings.NewReplacer("NEW", segNew, "PREVIEW", segPreview).Replace(
		`namespace NEW: already has NetworkPolicy palisade-segmentation (ingress only from pods of NEW and of namespaces monitoring)
namespace PREVIEW: would get NetworkPolicy palisade-segmentation (ingress only from pods of PREVIEW and of namespaces monitoring)
  pod web loses ingress from every other namespace and from outside the cluster; exposed by Service web (NodePort), whose outside traffic would be cut
`)
	if err != nil || string(out) != wantPreview {
		t.Errorf("preview: %v\n%s\nwant:\n%s", err, out, wantPreview)
	}

	a.setPolicy("segmentation-3", segmentationSpec("false", ""))
	waitFor(t, "the NetworkPolicy to be removed", 10*time.Second, func() bool {
		_, _, found := segmentationPolicy(t)
		return !found
	})

	var got []string
	for _, ev := range readEventsFile(t, a.events) {
		if ev["rule"] == "segmentation" && ev["namespace"] == segNew {
			msg := ev["message"].(string)
			got = append(got, strings.Fields(msg)[2]) // "NetworkPolicy palisade-segmentation <change>: ..."
			if ev["kind"] != "NetworkPolicy" || ev["name"] != "palisade-segmentation" || ev["tab"] != "continuous" {
				t.Errorf("event %v", ev)
			}
		}
	}
	if want := "created: created: updated: removed:"; strings.Join(got, " ") != want {
		t.Errorf("segmentation events %v, want %s", got, want)
	}
}
