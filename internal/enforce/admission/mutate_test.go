package admission

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/supply/signature"
	"github.com/palisade-dev/palisade/internal/supply/signature/signaturetest"
)

func TestMutatePinsVerifiedImages(t *testing.T) {
	reg := signaturetest.NewRegistry(t)
	key := signaturetest.NewKey(t)
	api := reg.Push(t, "shop/api", "1.4")
	reg.Sign(t, key, api, api)
	reg.Push(t, "shop/unsigned", "1")
	v := signature.New(signature.Options{Keychain: authn.NewMultiKeychain()})

	policyWith := func(extra string) *engine.Compiled {
		return compile(t, "signed", `
  clusterWide:
    deployment:
      rules:
        - {rule: imagesNotSigned, action: block, properties: {keys: [`+strconv.Quote(key.PublicPEM)+`]`+extra+`}}
`)
	}
	pinning, notPinning := policyWith(", mutateToDigest: true"), policyWith("")
	deployment := func(images ...string) []byte {
		var cs []string
		for i, img := range images {
			cs = append(cs, `{"name":"c`+strconv.Itoa(i)+`","image":"`+img+`"}`)
		}
		return []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},` +
			`"spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[` + strings.Join(cs, ",") + `]}}}}`)
	}
	create := func(obj []byte) *admissionv1.AdmissionRequest {
		return request(admissionv1.Create, deploymentKind, "deployments", "", "shop", "web", obj, nil)
	}
	mutate := func(c *engine.Compiled, obj []byte) []patchOp {
		t.Helper()
		r := New(Options{Policy: func() *engine.Compiled { return c }, Signatures: v})
		out := r.Mutate(context.Background(), create(obj))
		if !out.Response.Allowed {
			t.Fatalf("Mutate denied: %+v", out.Response)
		}
		if out.Response.Patch == nil {
			return nil
		}
		if *out.Response.PatchType != admissionv1.PatchTypeJSONPatch {
			t.Errorf("patch type %v", *out.Response.PatchType)
		}
		var ops []patchOp
		if err := json.Unmarshal(out.Response.Patch, &ops); err != nil {
			t.Fatal(err)
		}
		return ops
	}

	tagged := reg.Host + "/shop/api:1.4"
	got := mutate(pinning, deployment(tagged, reg.Host+"/shop/unsigned:1", api.String()))
	want := []patchOp{{Op: "replace", Path: "/spec/template/spec/containers/0/image", Value: tagged + "@" + api.DigestStr()}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pinned (-want +got):\n%s", diff)
	}
	if got := mutate(notPinning, deployment(tagged)); got != nil {
		t.Errorf("mutateToDigest off: %v", got)
	}
	// The validating review after it agrees, from the verdict cache.
	r := New(Options{Policy: func() *engine.Compiled { return pinning }, Signatures: v})
	out := r.Review(context.Background(), create(deployment(tagged+"@"+api.DigestStr())))
	if !out.Response.Allowed || len(out.Findings) != 0 {
		t.Errorf("review of the pinned Deployment: %+v", out.Findings)
	}
	out = r.Review(context.Background(), create(deployment(reg.Host+"/shop/unsigned:1")))
	if out.Response.Allowed || !strings.Contains(out.Response.Result.Message, `image violates rule imagesNotSigned "`+reg.Host+`/shop/unsigned:1" in container(s) "c0": no signature on sha256:`) {
		t.Errorf("review of an unsigned image: %+v", out.Response.Result)
	}
}

func TestJSONPointer(t *testing.T) {
	for in, want := range map[string]string{
		"spec.containers[0]": "/spec/containers/0",
		"spec.jobTemplate.spec.template.spec.initContainers[12]": "/spec/jobTemplate/spec/template/spec/initContainers/12",
	} {
		if got := jsonPointer(in); got != want {
			t.Errorf("jsonPointer(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkReviewSignatures is the validating review of a Pod with three
// containers (three images) whose verdicts are cached, with and without
// imagesNotSigned: the difference is what the rule adds at admission.
func BenchmarkReviewSignatures(b *testing.B) {
	reg := signaturetest.NewRegistry(b)
	key := signaturetest.NewKey(b)
	var cs []string
	for i := range 3 {
		d := reg.Push(b, "shop/c"+strconv.Itoa(i), "1")
		reg.Sign(b, key, d, d)
		cs = append(cs, `{"name":"c`+strconv.Itoa(i)+`","image":"`+reg.Host+`/shop/c`+strconv.Itoa(i)+`:1"}`)
	}
	pod := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop"},"spec":{"containers":[` + strings.Join(cs, ",") + `]}}`)
	req := request(admissionv1.Create, podKind, "pods", "", "shop", "p", pod, nil)
	v := signature.New(signature.Options{Keychain: authn.NewMultiKeychain()})
	for _, bc := range []struct{ name, rules string }{
		{"without", `        - {rule: privileged, action: block}`},
		{"with", `        - {rule: privileged, action: block}
        - {rule: imagesNotSigned, action: block, properties: {keys: [` + strconv.Quote(key.PublicPEM) + `]}}`},
	} {
		c := compile(b, "bench", "\n  clusterWide:\n    deployment:\n      rules:\n"+bc.rules+"\n")
		r := New(Options{Policy: func() *engine.Compiled { return c }, Signatures: v})
		if out := r.Review(context.Background(), req); !out.Response.Allowed {
			b.Fatalf("denied: %v", out.Response.Result)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if out := r.Review(context.Background(), req); !out.Response.Allowed {
					b.Fatal("denied")
				}
			}
		})
	}
}
