package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// segmentationSpec segments namespace seg-new (created by the test),
// allowing ingress from the listed namespaces.
func segmentationSpec(enabled string, allow string) string {
	return `clusterWide: {}
namespaced:
  - name: segmented
    namespaces: [seg-new]
    segmentation: {enabled: ` + enabled + `, allowFromNamespaces: [` + allow + `]}`
}

func segmentationPolicy(t *testing.T) (uid, allowed string, found bool) {
	t.Helper()
	r := kubectl(context.Background(), "", "get", "networkpolicy", "palisade-segmentation", "-n", "seg-new", "-o",
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
	t.Cleanup(func() {
		kubectl(context.Background(), "", "delete", "namespace", "seg-new", "--wait=false", "--ignore-not-found")
	})
	namespace(t, "seg-new")

	var uid, allowed string
	waitFor(t, "the NetworkPolicy in the new namespace", 10*time.Second, func() bool {
		var found bool
		uid, allowed, found = segmentationPolicy(t)
		return found
	})
	if allowed != "monitoring" {
		t.Errorf("allowed namespaces %q, want monitoring", allowed)
	}

	if r := kubectl(context.Background(), "", "delete", "networkpolicy", "palisade-segmentation", "-n", "seg-new"); r.err != nil {
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
metadata: {name: web, namespace: seg-new, labels: {app: web}}
spec: {containers: [{name: app, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: seg-new}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80}]}
`
	if r := kubectlStdin(context.Background(), workload, "", "apply", "-f", "-"); r.err != nil {
		t.Fatalf("create the workload: %s", r)
	}
	preview := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(preview, []byte(policyYAML("preview", strings.ReplaceAll(segmentationSpec("true", "monitoring"), "seg-new", "seg-new, seg-preview"))), 0o600); err != nil {
		t.Fatal(err)
	}
	namespace(t, "seg-preview")
	t.Cleanup(func() {
		kubectl(context.Background(), "", "delete", "namespace", "seg-preview", "--wait=false", "--ignore-not-found")
	})
	if r := kubectlStdin(context.Background(), strings.ReplaceAll(workload, "seg-new", "seg-preview"), "", "apply", "-f", "-"); r.err != nil {
		t.Fatalf("create the workload: %s", r)
	}
	out, err := exec.Command(env.bin, "scan", "--cluster", "--kubeconfig", env.kubeconfig, "--policy", preview, "--preview-segmentation").CombinedOutput()
	wantPreview := `namespace seg-new: already has NetworkPolicy palisade-segmentation (ingress only from pods of seg-new and of namespaces monitoring)
namespace seg-preview: would get NetworkPolicy palisade-segmentation (ingress only from pods of seg-preview and of namespaces monitoring)
  pod web loses ingress from every other namespace and from outside the cluster; exposed by Service web (NodePort), whose outside traffic would be cut
`
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
		if ev["rule"] == "segmentation" && ev["namespace"] == "seg-new" {
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
