package main

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/supply/signature/signaturetest"
)

func TestScanVerifiesSignatures(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials from the machine
	reg := signaturetest.NewRegistry(t)
	key := signaturetest.NewKey(t)
	api := reg.Push(t, "shop/api", "1.4")
	reg.Sign(t, key, api, api)
	reg.Push(t, "shop/worker", "2")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String()
	l.Close()

	p := scanResultPolicy(t, "      - {rule: imagesNotSigned, action: block, properties: {keys: ["+strconv.Quote(key.PublicPEM)+"]}}\n")
	pod := `apiVersion: v1
kind: Pod
metadata: {name: shop, namespace: shop}
spec:
  containers:
  - {name: api, image: "` + reg.Host + `/shop/api:1.4"}
  - {name: worker, image: "` + reg.Host + `/shop/worker:2"}
  - {name: old, image: "` + gone + `/shop/old:1"}
`
	code, out, errOut := palisade(t, pod, "scan", "--policy", p, "-")
	if code != exitBlocked {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitBlocked, out, errOut)
	}
	for _, want := range []string{
		`image violates rule imagesNotSigned "` + reg.Host + `/shop/worker:2" in container(s) "worker": no signature on sha256:`,
		`image violates rule imagesNotSigned "` + gone + `/shop/old:1" in container(s) "old": could not verify: resolving tag 1: the registry could not be reached`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"api"`) {
		t.Errorf("the signed image was flagged:\n%s", out)
	}
	if !strings.Contains(errOut, "palisade: could not check the signatures of 1 image:\n  "+gone+"/shop/old:1: resolving tag 1: the registry could not be reached") {
		t.Errorf("stderr does not name the image it could not check:\n%s", errOut)
	}

	// A policy without the rule never touches a registry.
	code, _, errOut = palisade(t, pod, "scan", "--policy", scanResultPolicy(t, "      - {rule: privileged, action: block}\n"), "-")
	if code != 0 || strings.Contains(errOut, "signatures") {
		t.Errorf("without imagesNotSigned: exit %d, stderr %q", code, errOut)
	}
	// A trust root that cannot be read is bad input.
	code, _, errOut = palisade(t, pod, "scan", "--policy", p, "--signature-ca-file", "/nonexistent.pem", "-")
	if code != exitInput || !strings.Contains(errOut, "/nonexistent.pem") {
		t.Errorf("bad --signature-ca-file: exit %d, stderr %q", code, errOut)
	}
}

func TestScanSignatureFlagsExclusive(t *testing.T) {
	key := signaturetest.NewKey(t)
	p := scanResultPolicy(t, "      - {rule: imagesNotSigned, action: block, properties: {keys: ["+strconv.Quote(key.PublicPEM)+"]}}\n")
	code, _, errOut := palisade(t, "", "scan", "--policy", p, "--signature-trusted-root", "a.json", "--signature-ca-file", "b.pem", "-")
	if code != exitInput || !strings.Contains(errOut, "exclusive") {
		t.Errorf("both trust roots: exit %d, stderr %q", code, errOut)
	}
}
