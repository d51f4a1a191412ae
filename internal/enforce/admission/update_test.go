package admission

import (
	"context"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
)

// An UPDATE is refused for the violations it brings, and only warned
// about those the object already had (Kyverno's allowExistingViolations):
// scaling a Deployment past replicaLimits is refused even though its pod
// template did not change, while scaling one whose privileged template an
// older policy admitted is not.
func TestUpdateRefusesOnlyTheViolationsItBrings(t *testing.T) {
	const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27, securityContext: {privileged: true}}]
`
	c := compile(t, "p", `
  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: block}
        - {rule: replicaLimits, action: block, properties: {ranges: [{minReplicas: 1, maxReplicas: 5}]}}
`)
	r := New(Options{Policy: func() *engine.Compiled { return c }, Now: func() time.Time { return testNow }})
	old := toJSON(t, deployment)
	review := func(newYAML string, oldJSON []byte) *admissionv1.AdmissionResponse {
		return r.Review(context.Background(), request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", toJSON(t, newYAML), oldJSON)).Response
	}
	if resp := review(strings.Replace(deployment, "replicas: 2", "replicas: 4", 1), old); !resp.Allowed || len(resp.Warnings) != 1 ||
		!strings.HasSuffix(resp.Warnings[0], notEnforced) {
		t.Errorf("scaling within the limits: allowed %v, warnings %q; want allowed, privileged not enforced", resp.Allowed, resp.Warnings)
	}
	resp := review(strings.Replace(deployment, "replicas: 2", "replicas: 50", 1), old)
	if resp.Allowed || resp.Result == nil || !strings.Contains(resp.Result.Message, "replicaLimits") {
		t.Errorf("scaling past replicaLimits: allowed %v, result %+v; want refused by replicaLimits", resp.Allowed, resp.Result)
	}
	// An old object the API server would never send (another apiVersion,
	// which decodes to nothing Palisade reads) proves nothing: judged in full.
	older := toJSON(t, strings.Replace(deployment, "apps/v1", "apps/v1beta1", 1))
	if resp := review(deployment, older); resp.Allowed {
		t.Errorf("an old object of another apiVersion: allowed %v, want the update judged in full", resp.Allowed)
	}
}

// A finding is kept only from the same policy entry: a log entry's finding
// on the old object does not excuse the block entry's on the new one (the
// block entry excluded the old image), and a cel finding, which does not
// say what offends, is kept only when the object's content is unchanged.
func TestUpdateKeepsOnlyTheSameFinding(t *testing.T) {
	const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: trusted.example.com/agent:1, securityContext: {privileged: true}}]
`
	c := compile(t, "p", `
  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: log}
        - {rule: privileged, action: block, excludedImages: ["trusted.example.com/*"]}
        - {rule: cel, action: block, properties: {expression: "object.spec.replicas <= 5", message: at most 5 replicas}}
`)
	r := New(Options{Policy: func() *engine.Compiled { return c }, Now: func() time.Time { return testNow }})
	old := toJSON(t, deployment)
	review := func(newYAML string) *admissionv1.AdmissionResponse {
		return r.Review(context.Background(), request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", toJSON(t, newYAML), old)).Response
	}
	relabelled := strings.Replace(deployment, "namespace: shop}", "namespace: shop, labels: {team: web}}", 1)
	if resp := review(relabelled); !resp.Allowed {
		t.Errorf("a label added: refused %+v; want the kept cel finding not enforced", resp.Result)
	}
	if resp := review(strings.Replace(deployment, "replicas: 6", "replicas: 500", 1)); resp.Allowed || !strings.Contains(resp.Result.Message, "cel") {
		t.Errorf("replicas 6 -> 500 under a cel limit of 5: allowed %v %+v; want refused by cel", resp.Allowed, resp.Result)
	}
	evil := strings.Replace(deployment, "trusted.example.com/agent:1", "evil.example.com/miner:1", 1)
	if resp := review(evil); resp.Allowed || !strings.Contains(resp.Result.Message, "privileged") {
		t.Errorf("a privileged container moved off the excluded image: allowed %v %+v; want refused by the block entry", resp.Allowed, resp.Result)
	}
}
