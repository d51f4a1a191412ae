package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// The chart's default failurePolicy is Ignore (fail open): when no agent
// answers, the API server admits the object, so a dead webhook never
// wedges a cluster. Fail (fail closed) refuses instead; this test shows
// both against a webhook whose agent is down.
func TestFailurePolicy(t *testing.T) {
	namespace(t, "failure-policy")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	register := func(policy string) {
		t.Helper()
		cfg := fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: palisade-dead}
webhooks:
- name: dead.palisade.dev
  clientConfig: {url: "https://127.0.0.1:%d/validate", caBundle: "%s"}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}]
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: failure-policy}}
  failurePolicy: %s
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: 2
`, port, caBundle(), policy)
		if out, err := kubectlIn(ctx, cfg, "", "apply", "-f", "-"); err != nil {
			t.Fatalf("register: %v %s", err, out)
		}
	}
	t.Cleanup(func() {
		kubectl(ctx, "", "delete", "validatingwebhookconfiguration", "palisade-dead", "--ignore-not-found")
	})
	usePolicy(t, "fp-allow", "clusterWide: {}")

	register("Ignore")
	cleanup(t, "pod", "busyboxpod", "-n", "failure-policy")
	if r := kubectl(ctx, examples, "apply", "-n", "failure-policy", "-f", "busybox.yaml"); r.err != nil {
		t.Errorf("Ignore: the pod must be admitted when the agent is down: %s", r)
	}
	kubectl(ctx, "", "delete", "pod", "busyboxpod", "-n", "failure-policy", "--wait=false")

	register("Fail")
	r := kubectl(ctx, examples, "create", "-n", "failure-policy", "-f", "busybox.yaml")
	if r.err == nil || !strings.Contains(r.stderr, `failed calling webhook "dead.palisade.dev"`) {
		t.Errorf("Fail: the pod must be refused when the agent is down: %s", r)
	}
}
