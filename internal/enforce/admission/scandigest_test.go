package admission

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/supply/signature"
	"github.com/palisade-dev/palisade/internal/supply/signature/signaturetest"
)

// A tag's scan counts for the digest that was scanned: once the tag is
// pushed over, the image it names is unscanned; when the registry cannot
// tell which digest the tag names, the finding says so and the rule's
// action decides. All against a real registry on loopback.
func TestScanResultsFollowTheTagsDigest(t *testing.T) {
	reg := signaturetest.NewRegistry(t)
	scanned := reg.Push(t, "shop/api", "1.4")
	ref := reg.Host + "/shop/api:1.4"
	idx := scanresult.NewIndex()
	if err := idx.Add(&scanresult.Image{Digests: []string{scanned.DigestStr()}, References: []string{ref},
		Scans: []scanresult.Scan{{Type: scanresult.ScanVulnerability}}}); err != nil {
		t.Fatal(err)
	}
	c := compile(t, "scanned", `
  clusterWide:
    deployment:
      rules:
        - {rule: imagesNotScanned, action: block}
`)
	review := func(digests rules.Digests, image string) *admissionv1.AdmissionResponse {
		t.Helper()
		obj := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"api","namespace":"shop"},` +
			`"spec":{"containers":[{"name":"api","image":"` + image + `"}]}}`)
		r := New(Options{Policy: func() *engine.Compiled { return c }, ScanResults: idx, Digests: digests})
		return r.Review(context.Background(), request(admissionv1.Create, podKind, "pods", "", "shop", "api", obj, nil)).Response
	}
	verifier := func() *signature.Verifier {
		return signature.New(signature.Options{Keychain: authn.NewMultiKeychain()})
	}

	if resp := review(verifier(), ref); !resp.Allowed {
		t.Fatalf("the scanned digest: denied: %s", resp.Result.Message)
	}

	// The tag is pushed over: the scan was of another image.
	pushed := reg.Push(t, "shop/api", "1.4")
	resp := review(verifier(), ref)
	if want := "no scan results for this image (block)"; resp.Allowed || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("re-pushed tag: allowed %v, %v; want a denial with %q", resp.Allowed, resp.Result, want)
	}
	// Pinned to the scanned digest, it is still the scanned image; no
	// registry is asked.
	if resp := review(verifier(), ref+"@"+scanned.DigestStr()); !resp.Allowed {
		t.Errorf("pinned to the scanned digest: denied: %s", resp.Result.Message)
	}
	if resp := review(verifier(), ref+"@"+pushed.DigestStr()); resp.Allowed {
		t.Error("pinned to the new digest: allowed")
	}
	// Without a resolver (offline scans), the tag's scan counts.
	if resp := review(nil, ref); !resp.Allowed {
		t.Errorf("without a resolver: denied: %s", resp.Result.Message)
	}

	// The registry is gone: nothing can be matched, and the finding says why.
	reg.Server.Close()
	resp = review(verifier(), ref)
	want := `image violates rule imagesNotScanned "` + ref + `" in container(s) "api": could not match a scan: resolving tag 1.4: the registry could not be reached`
	if resp.Allowed || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("registry down: allowed %v, %v; want a denial with %q", resp.Allowed, resp.Result, want)
	}
}

// A vulnerability rule judges the tag's own scan when the registry cannot
// tell the digest, and says so: it can only add findings.
func TestScanResultsByTagWhenTheRegistryIsDown(t *testing.T) {
	reg := signaturetest.NewRegistry(t)
	scanned := reg.Push(t, "shop/api", "1.4")
	ref := reg.Host + "/shop/api:1.4"
	reg.Server.Close()
	idx := scanresult.NewIndex()
	if err := idx.Add(&scanresult.Image{Digests: []string{scanned.DigestStr()}, References: []string{ref},
		Scans:           []scanresult.Scan{{Type: scanresult.ScanVulnerability}},
		Vulnerabilities: []scanresult.Vulnerability{{ID: "CVE-2024-6387", Severity: scanresult.SeverityCritical}}}); err != nil {
		t.Fatal(err)
	}
	c := compile(t, "vulns", `
  clusterWide:
    deployment:
      rules:
        - {rule: imagesWithVulnerabilities, action: block, properties: {severity: critical}}
`)
	obj := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"api","namespace":"shop"},` +
		`"spec":{"containers":[{"name":"api","image":"` + ref + `"}]}}`)
	r := New(Options{Policy: func() *engine.Compiled { return c }, ScanResults: idx,
		Digests: signature.New(signature.Options{Keychain: authn.NewMultiKeychain()})})
	resp := r.Review(context.Background(), request(admissionv1.Create, podKind, "pods", "", "shop", "api", obj, nil)).Response
	want := "1 vulnerability at or above critical: CVE-2024-6387 (critical) (matched by tag: resolving tag 1.4: the registry could not be reached"
	if resp.Allowed || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("allowed %v, %v; want a denial with %q", resp.Allowed, resp.Result, want)
	}
}
