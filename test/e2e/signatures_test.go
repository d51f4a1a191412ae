package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/supply/signature/signaturetest"
)

// signedPolicy enables imagesNotSigned with key, at action, in namespace
// signed.
func signedPolicy(action, key, extra string) string {
	return `clusterWide: {}
namespaced:
  - name: signed
    namespaces: [signed]
    deployment:
      rules:
        - {rule: imagesNotSigned, action: ` + action + `, properties: {keys: [` + strconv.Quote(key) + `]` + extra + `}}
`
}

func signedPod(name, image, pullSecret string) string {
	secrets := ""
	if pullSecret != "" {
		secrets = "\n  imagePullSecrets: [{name: " + pullSecret + "}]"
	}
	return `apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: signed}
spec:` + secrets + `
  containers:
  - {name: app, image: "` + image + `"}
`
}

// TestSignedImagesOnly: on the real API server, with images pushed to and
// signed in a registry on loopback, the agent admits the signed image and
// denies the unsigned, wrong-key and copied-signature ones with the
// reason; a private registry is opened with the pod's imagePullSecret; an
// unreachable registry gives "could not verify", which the rule's action
// decides.
func TestSignedImagesOnly(t *testing.T) {
	namespace(t, "signed")
	reg := signaturetest.NewRegistry(t)
	key, other := signaturetest.NewKey(t), signaturetest.NewKey(t)
	api := reg.Push(t, "shop/api", "1.4")
	reg.Sign(t, key, api, api)
	unsigned := reg.Push(t, "shop/unsigned", "1")
	wrong := reg.Push(t, "shop/wrongkey", "1")
	reg.Sign(t, other, wrong, wrong)
	copied := reg.Push(t, "shop/copied", "1")
	reg.Sign(t, key, copied, api)

	ctx := context.Background()
	usePolicy(t, "signed-key", signedPolicy("block", key.PublicPEM, ""))
	cleanup(t, "pod", "--all", "-n", "signed")

	if r := kubectlStdin(ctx, signedPod("api", reg.Host+"/shop/api:1.4", ""), "", "apply", "-f", "-"); r.err != nil {
		t.Fatalf("signed image: kubectl apply:\n%s", r)
	}
	for _, tc := range []struct{ name, image, why string }{
		{"unsigned", "shop/unsigned:1", "no signature on " + unsigned.DigestStr() + " (block)."},
		{"wrongkey", "shop/wrongkey:1", "1 signature on " + wrong.DigestStr() + ", none verifies against the 1 key: "},
		{"copied", "shop/copied:1", "1 signature on " + copied.DigestStr() + ", none verifies against the 1 key: invalid or missing digest in claim: " + api.DigestStr() + " (block)."},
	} {
		r := kubectlStdin(ctx, signedPod(tc.name, reg.Host+"/"+tc.image, ""), "", "apply", "-f", "-")
		want := `- image violates rule imagesNotSigned "` + reg.Host + "/" + tc.image + `" in container(s) "app": ` + tc.why
		if r.err == nil || !strings.Contains(trimLines(r.stderr), want) {
			t.Errorf("%s: kubectl apply:\n%s\nwant: %s", tc.name, r, want)
		}
	}
	if ev := lastEvent(t); ev["rule"] != "imagesNotSigned" || ev["action"] != "block" || ev["namespace"] != "signed" {
		t.Errorf("event %v", ev)
	}

	// An unreachable registry: could not verify, and the action decides.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String()
	l.Close()
	r := kubectlStdin(ctx, signedPod("gone", gone+"/shop/old:1", ""), "", "apply", "-f", "-")
	want := `- image violates rule imagesNotSigned "` + gone + `/shop/old:1" in container(s) "app": could not verify: resolving tag 1: the registry could not be reached`
	if r.err == nil || !strings.Contains(trimLines(r.stderr), want) {
		t.Errorf("unreachable registry under block: kubectl apply:\n%s\nwant: %s", r, want)
	}
	usePolicy(t, "signed-log", signedPolicy("log", key.PublicPEM, ""))
	r = kubectlStdin(ctx, signedPod("gone", gone+"/shop/old:1", ""), "", "apply", "-f", "-")
	if r.err != nil || !strings.Contains(r.stderr, "Warning: image violates rule imagesNotSigned") || !strings.Contains(r.stderr, "could not verify") {
		t.Errorf("unreachable registry under log: kubectl apply:\n%s", r)
	}
}

// TestSignedImagesPinnedToDigest: with mutateToDigest, the agent's
// mutating webhook rewrites a verified image's tag to the digest that was
// verified, in Pods and in pod templates.
func TestSignedImagesPinnedToDigest(t *testing.T) {
	namespace(t, "pinned")
	reg := signaturetest.NewRegistry(t)
	key := signaturetest.NewKey(t)
	api := reg.Push(t, "shop/api", "1.4")
	reg.Sign(t, key, api, api)
	ctx := context.Background()
	cfg := fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: palisade-e2e-pin}
webhooks:
- name: mutate.palisade.dev
  clientConfig: {url: "%s/mutate", caBundle: "%s"}
  rules:
  - {operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}
  - {operations: [CREATE, UPDATE], apiGroups: [apps], apiVersions: [v1], resources: [deployments]}
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: pinned}}
  failurePolicy: Ignore
  sideEffects: None
  reinvocationPolicy: Never
  admissionReviewVersions: [v1]
  timeoutSeconds: 5
`, env.agentURL, caBundle())
	if out, err := kubectlIn(ctx, cfg, "", "apply", "-f", "-"); err != nil {
		t.Fatalf("register the mutating webhook: %v: %s", err, out)
	}
	t.Cleanup(func() {
		kubectl(ctx, "", "delete", "mutatingwebhookconfiguration", "palisade-e2e-pin", "--ignore-not-found")
	})
	cleanup(t, "pod,deployment", "--all", "-n", "pinned")
	usePolicy(t, "signed-pin", strings.ReplaceAll(signedPolicy("block", key.PublicPEM, ", mutateToDigest: true"), "signed", "pinned"))

	tagged := reg.Host + "/shop/api:1.4"
	pod := strings.ReplaceAll(signedPod("api", tagged, ""), "namespace: signed", "namespace: pinned")
	if r := kubectlStdin(ctx, pod, "", "apply", "-f", "-"); r.err != nil {
		t.Fatalf("pod: kubectl apply:\n%s", r)
	}
	deployment := `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pinned}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: api, image: "` + tagged + `"}
`
	if r := kubectlStdin(ctx, deployment, "", "apply", "-f", "-"); r.err != nil {
		t.Fatalf("deployment: kubectl apply:\n%s", r)
	}
	want := tagged + "@" + api.DigestStr()
	for _, get := range [][]string{
		{"get", "pod", "api", "-n", "pinned", "-o", "jsonpath={.spec.containers[0].image}"},
		{"get", "deployment", "api", "-n", "pinned", "-o", "jsonpath={.spec.template.spec.containers[0].image}"},
	} {
		if r := kubectl(ctx, "", get...); r.err != nil || r.stdout != want {
			t.Errorf("%s: image %q, want %q (%v)", get[1], r.stdout, want, r.err)
		}
	}
}

// TestSignedImagesPrivateRegistry: the pod's imagePullSecret opens a
// registry that refuses anonymous clients.
func TestSignedImagesPrivateRegistry(t *testing.T) {
	namespace(t, "signed")
	reg := signaturetest.NewRegistry(t)
	reg.RequireAuth("robot", "e2e-registry-password")
	key := signaturetest.NewKey(t)
	img := reg.Push(t, "private/api", "2")
	reg.Sign(t, key, img, img)
	ctx := context.Background()
	usePolicy(t, "signed-private", signedPolicy("block", key.PublicPEM, ""))
	cleanup(t, "pod", "--all", "-n", "signed")

	auth := base64.StdEncoding.EncodeToString([]byte("robot:e2e-registry-password"))
	secret := fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: regcred, namespace: signed}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: %s
`, base64.StdEncoding.EncodeToString([]byte(`{"auths":{"`+reg.Host+`":{"auth":"`+auth+`"}}}`)))
	if out, err := kubectlIn(ctx, secret, "", "apply", "-f", "-"); err != nil {
		t.Fatalf("pull secret: %v: %s", err, out)
	}
	cleanup(t, "secret", "regcred", "-n", "signed")

	image := reg.Host + "/private/api:2"
	r := kubectlStdin(ctx, signedPod("anonymous", image, ""), "", "apply", "-f", "-")
	if r.err == nil || !strings.Contains(r.stderr, "could not verify: resolving tag 2: the registry refused access (401)") {
		t.Errorf("without a pull secret: kubectl apply:\n%s", r)
	}
	if r := kubectlStdin(ctx, signedPod("withsecret", image, "regcred"), "", "apply", "-f", "-"); r.err != nil {
		t.Errorf("with the pod's pull secret: kubectl apply:\n%s", r)
	}
	if log := readFile(env.dir + "/agent.log"); strings.Contains(log, "e2e-registry-password") || strings.Contains(log, auth) {
		t.Errorf("the agent log holds the registry credentials")
	}

	// The cluster audit reads the pod's pull secret too: the live pod's
	// image verifies, with no finding.
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(policyYAML("signed-private", signedPolicy("block", key.PublicPEM, ""))), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, env.bin, "scan", "--cluster", "--tab", "deployment", "--kubeconfig", env.kubeconfig, "-n", "signed", "--policy", policyFile, "-o", "json")
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "imagesNotSigned") || !strings.Contains(string(out), "withsecret") {
		t.Errorf("palisade scan --cluster: %v\n%s", err, out)
	}
}
