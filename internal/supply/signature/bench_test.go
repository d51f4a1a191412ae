package signature_test

import (
	"context"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/image/trust"
	"github.com/palisade-dev/palisade/internal/supply/signature"
	"github.com/palisade-dev/palisade/internal/supply/signature/signaturetest"
)

// BenchmarkVerifyCached is the admission cost of a container whose image's
// verdict is cached: the tag's digest and the digest's verdict are looked
// up.
func BenchmarkVerifyCached(b *testing.B) {
	tr, req := benchImage(b)
	v := signature.New(signature.Options{Keychain: anonymous})
	ctx := context.Background()
	if r := v.Verify(ctx, tr, req); r.Status != trust.Signed {
		b.Fatalf("%v %q", r.Status, r.Detail)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if r := v.Verify(ctx, tr, req); r.Status != trust.Signed {
			b.Fatal(r.Detail)
		}
	}
}

// BenchmarkVerifyCold is a verification with empty caches against a
// registry on loopback: the registry ping, the tag's HEAD, the signature
// manifest and layer, and the cryptographic check.
func BenchmarkVerifyCold(b *testing.B) {
	tr, req := benchImage(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		v := signature.New(signature.Options{Keychain: anonymous})
		if r := v.Verify(ctx, tr, req); r.Status != trust.Signed {
			b.Fatal(r.Detail)
		}
	}
}

// benchImage pushes and signs one image in a registry on loopback, and
// returns the trust set and the request that verify it by tag.
func benchImage(b *testing.B) (*trust.Trust, trust.Request) {
	reg := signaturetest.NewRegistry(b)
	k := signaturetest.NewKey(b)
	img := reg.Push(b, "app/bench", "v1")
	reg.Sign(b, k, img, img)
	tr, err := trust.New([]string{k.PublicPEM}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return tr, trust.Request{Image: image.Parse(reg.Host + "/app/bench:v1"), Namespace: "shop"}
}
