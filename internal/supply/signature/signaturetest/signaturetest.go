// Package signaturetest serves a real OCI registry on loopback and pushes and
// signs images in it the way `cosign sign` does, with cosign's own library,
// for tests of signature verification.
package signaturetest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Registry is an in-process OCI registry (go-containerregistry's) on
// 127.0.0.1.
type Registry struct {
	// Host is "127.0.0.1:port": go-containerregistry speaks plain HTTP to
	// loopback registries.
	Host   string
	Server *httptest.Server
	// auth, when set, is the user and password every request must carry.
	auth *url.Userinfo
}

// NewRegistry starts a registry; it stops when the test ends.
func NewRegistry(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.auth != nil {
			u, p, ok := req.BasicAuth()
			want, _ := r.auth.Password()
			if !ok || u != r.auth.Username() || p != want {
				w.Header().Set("WWW-Authenticate", `Basic realm="signaturetest"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Server.Close)
	r.Host = strings.TrimPrefix(r.Server.URL, "http://")
	return r
}

// RequireAuth makes the registry refuse requests without these basic-auth
// credentials (the test's own pushes and signatures carry them).
func (r *Registry) RequireAuth(user, password string) { r.auth = url.UserPassword(user, password) }

// remoteOptions carry the registry's credentials, when it has some.
func (r *Registry) remoteOptions() []remote.Option {
	if r.auth == nil {
		return nil
	}
	p, _ := r.auth.Password()
	return []remote.Option{remote.WithAuth(&authn.Basic{Username: r.auth.Username(), Password: p})}
}

// Push pushes a random single-layer image as repo:tag and returns its
// digest reference.
func (r *Registry) Push(t testing.TB, repo, tag string) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(r.Host + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, r.remoteOptions()...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(d.String())
}

// Key is a signing key pair.
type Key struct {
	Signer sigsig.SignerVerifier
	// PublicPEM is the public key as cosign.pub holds it.
	PublicPEM string
	priv      *ecdsa.PrivateKey
}

// NewKey generates an ECDSA P-256 key, as `cosign generate-key-pair` does.
func NewKey(t testing.TB) *Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := sigsig.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Signer: sv, priv: priv, PublicPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

// Sign attaches a signature over the payload naming subject to target, the
// image whose signatures are written: normally the same digest. Signing a
// payload that names another digest is the tampered case: a signature
// copied from one image to another.
func (r *Registry) Sign(t testing.TB, k *Key, target, subject name.Digest, opts ...static.Option) {
	t.Helper()
	pl, raw := k.sign(t, subject)
	r.attach(t, target, pl, raw, opts...)
}

// sign makes the simple-signing payload naming subject, as cosign does,
// and signs it.
func (k *Key) sign(t testing.TB, subject name.Digest) (pl, raw []byte) {
	t.Helper()
	pl, err := (&payload.Cosign{Image: subject}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	raw, err = k.Signer.SignMessage(bytes.NewReader(pl))
	if err != nil {
		t.Fatal(err)
	}
	return pl, raw
}

// attach writes one signature layer beside target, the way cosign does.
func (r *Registry) attach(t testing.TB, target name.Digest, pl, raw []byte, opts ...static.Option) {
	t.Helper()
	sig, err := static.NewSignature(pl, base64.StdEncoding.EncodeToString(raw), opts...)
	if err != nil {
		t.Fatal(err)
	}
	oopts := []ociremote.Option{ociremote.WithRemoteOptions(r.remoteOptions()...)}
	se, err := ociremote.SignedEntity(target, oopts...)
	if err != nil {
		t.Fatal(err)
	}
	se, err = mutate.AttachSignatureToEntity(se, sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteSignatures(target.Repository, se, oopts...); err != nil {
		t.Fatalf("write signatures of %s: %v", target, err)
	}
}

// SignTampered signs subject's payload and then alters the payload before
// attaching it: the signature no longer matches what it claims to sign.
func (r *Registry) SignTampered(t testing.TB, k *Key, target name.Digest) {
	t.Helper()
	pl, raw := k.sign(t, target)
	r.attach(t, target, bytes.Replace(pl, []byte(`"optional":null`), []byte(`"optional":{"x":"y"}`), 1), raw)
}

// CA is a keyless certificate authority standing in for Fulcio: it issues
// short-lived code-signing certificates naming an OIDC subject and issuer.
type CA struct {
	Cert *x509.Certificate
	// PEM is the CA certificate, for --signature-ca-file.
	PEM  []byte
	priv *ecdsa.PrivateKey
}

// NewCA generates a self-signed CA.
func NewCA(t testing.TB) *CA {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "palisade test keyless CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{Cert: cert, priv: priv, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Pool is a pool holding the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Fulcio's certificate extensions for the OIDC issuer: v1 holds the raw
// string, v2 a DER UTF8String. Fulcio writes both.
var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// SignKeyless signs target as the OIDC identity subject (an email) from
// issuer, with a fresh key and a certificate from the CA, and attaches the
// certificate and chain as cosign does.
func (r *Registry) SignKeyless(t testing.TB, ca *CA, subject, issuer string, target name.Digest) {
	t.Helper()
	k := NewKey(t)
	iss, err := asn1.MarshalWithParams(issuer, "utf8")
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		NotBefore:    time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		EmailAddresses:  []string{subject},
		ExtraExtensions: []pkix.Extension{{Id: oidIssuerV1, Value: []byte(issuer)}, {Id: oidIssuerV2, Value: iss}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &k.priv.PublicKey, ca.priv)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	pl, raw := k.sign(t, target)
	r.attach(t, target, pl, raw, static.WithCertChain(certPEM, ca.PEM))
}
