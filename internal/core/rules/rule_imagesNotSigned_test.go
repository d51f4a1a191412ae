package rules

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/palisade-dev/palisade/internal/core/workload"
	"github.com/palisade-dev/palisade/internal/supply/signature"
	"github.com/palisade-dev/palisade/internal/supply/signature/signaturetest"
)

// keyProps are imagesNotSigned properties trusting one PEM key.
func keyProps(pem string, extra string) string {
	return "{keys: [" + strconv.Quote(pem) + "]" + extra + "}"
}

func TestImagesNotSigned(t *testing.T) {
	reg := signaturetest.NewRegistry(t)
	key, other := signaturetest.NewKey(t), signaturetest.NewKey(t)
	signed := reg.Push(t, "shop/api", "1.4")
	reg.Sign(t, key, signed, signed)
	unsigned := reg.Push(t, "shop/unsigned", "1")
	wrong := reg.Push(t, "shop/wrong", "1")
	reg.Sign(t, other, wrong, wrong)
	v := signature.New(signature.Options{Keychain: authn.NewMultiKeychain()})

	run := func(t *testing.T, props, spec string, pin func(*workload.Container, string)) []Finding {
		t.Helper()
		in := seed001Input(seed001Object(t, seed001Pod(spec)), "prod")
		in.Signatures, in.Context, in.PinDigest = v, context.Background(), pin
		return seed001Check(t, "imagesNotSigned", props)(in)
	}
	one := func(img string) string { return `{containers: [{name: app, image: "` + img + `"}]}` }
	props := keyProps(key.PublicPEM, "")

	if got := run(t, props, one(reg.Host+"/shop/api:1.4"), nil); len(got) != 0 {
		t.Errorf("signed image: %v", got)
	}
	got := run(t, props, one(reg.Host+"/shop/unsigned:1"), nil)
	if len(got) != 1 || got[0].Detail != "no signature on "+unsigned.DigestStr() || got[0].Value != reg.Host+"/shop/unsigned:1" {
		t.Errorf("unsigned image: %+v", got)
	}
	got = run(t, props, one(reg.Host+"/shop/wrong:1"), nil)
	if len(got) != 1 || !strings.Contains(got[0].Detail, "1 signature on "+wrong.DigestStr()+", none verifies against the 1 key: ") {
		t.Errorf("wrong key: %+v", got)
	}
	// The registries condition limits the rule to some registries.
	if got := run(t, keyProps(key.PublicPEM, ", registries: {operator: equals, values: [ghcr.io]}"), one(reg.Host+"/shop/unsigned:1"), nil); len(got) != 0 {
		t.Errorf("image outside the registries: %v", got)
	}
	if got := run(t, keyProps(key.PublicPEM, ", registries: {operator: startsWith, values: ['127.0.0.1']}"), one(reg.Host+"/shop/unsigned:1"), nil); len(got) != 1 {
		t.Errorf("image inside the registries: %v", got)
	}
	// Several containers: each image judged, the same image once.
	got = run(t, props, `{initContainers: [{name: init, image: "`+reg.Host+`/shop/unsigned:1"}], containers: [{name: app, image: "`+reg.Host+
		`/shop/api:1.4"}, {name: side, image: "`+reg.Host+`/shop/unsigned:1"}, {name: bad, image: "Not A Ref"}]}`, nil)
	var names []string
	for _, f := range got {
		names = append(names, f.Container+": "+f.Detail)
	}
	noSig := "no signature on " + unsigned.DigestStr()
	want := []string{"init: " + noSig, "side: " + noSig, "bad: invalid image reference"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("several containers (-want +got):\n%s", diff)
	}

	// mutateToDigest hands the verified digest to the mutating webhook;
	// an image already pinned by digest needs nothing.
	var pinned []string
	pin := func(c *workload.Container, d string) { pinned = append(pinned, c.C.Name+"="+d) }
	run(t, keyProps(key.PublicPEM, ", mutateToDigest: true"), one(reg.Host+"/shop/api:1.4"), pin)
	run(t, keyProps(key.PublicPEM, ", mutateToDigest: true"), one(signed.String()), pin)
	run(t, props, one(reg.Host+"/shop/api:1.4"), pin)
	if diff := cmp.Diff([]string{"app=" + signed.DigestStr()}, pinned); diff != "" {
		t.Errorf("pinned (-want +got):\n%s", diff)
	}

	// Without registry access (a check run with no verifier), it says so.
	in := seed001Input(seed001Object(t, seed001Pod(one("busybox"))), "prod")
	got = seed001Check(t, "imagesNotSigned", props)(in)
	if len(got) != 1 || !strings.HasPrefix(got[0].Detail, "could not verify: no registry access here") {
		t.Errorf("no verifier: %+v", got)
	}
}

func TestImagesNotSignedProperties(t *testing.T) {
	key := signaturetest.NewKey(t)
	for _, tc := range []struct{ props, want string }{
		{"{}", "properties.keys: Required value: keys or identities (or both)"},
		{"{keys: [nonsense]}", `properties.keys[0]: Invalid value: "nonsense": not a PEM public key`},
		{"{identities: [{issuer: https://accounts.example.com}]}", "properties.identities[0]: Invalid value"},
		{"{identities: [{issuer: a, subject: b, subjectRegExp: c}]}", "give subject or subjectRegExp, not both"},
		{"{identities: [{issuer: a, subjectRegExp: '(' }]}", "subjectRegExp: error parsing regexp"},
		{keyProps(key.PublicPEM, ", registries: {operator: like, values: [x]}"), `properties.registries.operator: Unsupported value: "like"`},
	} {
		_, err := seed001Build(t, "imagesNotSigned", tc.props)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.props, err, tc.want)
		}
	}
	for _, ok := range []string{
		keyProps(key.PublicPEM, ""),
		"{identities: [{issuerRegExp: 'https://.*', subject: release@example.com}]}",
		keyProps(key.PublicPEM, ", identities: [{issuer: a, subject: b}], registries: {operator: equals, values: [ghcr.io]}, mutateToDigest: true"),
	} {
		if _, err := seed001Build(t, "imagesNotSigned", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
