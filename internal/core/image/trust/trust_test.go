package trust_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"regexp"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/image/trust"
)

func publicPEM(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func ecdsaPEM(t testing.TB) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return publicPEM(t, &k.PublicKey)
}

func TestNewKeys(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rk.PublicKey)}))
	ek, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec := ecdsaPEM(t)
	tr, err := trust.New([]string{ec, publicPEM(t, &rk.PublicKey), pkcs1, publicPEM(t, ek)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tr.Keys()); n != 4 {
		t.Fatalf("%d keys, want 4", n)
	}
	name := regexp.MustCompile(`^key sha256:[0-9a-f]{8}$`)
	for _, k := range tr.Keys() {
		if !name.MatchString(k.Name) {
			t.Errorf("key name %q", k.Name)
		}
	}
	// The PKIX and PKCS #1 forms of one RSA key are one key.
	if tr.Keys()[1].Name != tr.Keys()[2].Name {
		t.Errorf("one RSA key, two names: %q %q", tr.Keys()[1].Name, tr.Keys()[2].Name)
	}
	if got, want := tr.Describe(), "4 keys"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}

	again, err := trust.New([]string{ec, publicPEM(t, &rk.PublicKey), pkcs1, publicPEM(t, ek)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != tr.ID() {
		t.Error("equal trust sets have different IDs")
	}
	other, err := trust.New([]string{ecdsaPEM(t)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if other.ID() == tr.ID() {
		t.Error("different trust sets share an ID")
	}
}

func TestNewRefuses(t *testing.T) {
	certLike := "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	for _, tc := range []struct {
		name string
		keys []string
		ids  []trust.Identity
		want string
	}{
		{"nothing", nil, nil, "no keys and no identities"},
		{"not PEM", []string{"hello"}, nil, "keys[0]: not a PEM public key: PEM decoding failed"},
		{"other PEM type", []string{ecdsaPEM(t), certLike}, nil, `keys[1]: not a PEM public key: unknown public key PEM type "CERTIFICATE"`},
		{"no issuer", nil, []trust.Identity{{Subject: "a"}}, "identities[0]: issuer or issuerRegExp is required"},
		{"both subjects", nil, []trust.Identity{{Issuer: "i", Subject: "a", SubjectRegExp: "a"}}, "identities[0]: give subject or subjectRegExp, not both"},
		{"bad expression", nil, []trust.Identity{{Issuer: "i", SubjectRegExp: "("}}, "identities[0]: subjectRegExp: error parsing regexp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := trust.New(tc.keys, tc.ids)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want it to start with %q", err, tc.want)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	id := trust.Identity{IssuerRegExp: `https://accounts\.example\.com`, Subject: "release@example.com"}
	if got, want := id.String(), `subject "release@example.com" from issuer /https://accounts\.example\.com/`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	a := id.Anchored()
	re := regexp.MustCompile(a.IssuerRegExp)
	if !re.MatchString("https://accounts.example.com") || re.MatchString("https://evil.com/https://accounts.example.com") {
		t.Errorf("anchored expression %q matches a value only containing it", a.IssuerRegExp)
	}
	if a.Subject != id.Subject || a.SubjectRegExp != "" {
		t.Errorf("Anchored changed the exact subject: %+v", a)
	}
	tr, err := trust.New([]string{ecdsaPEM(t)}, []trust.Identity{id})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tr.Describe(), "1 key or 1 keyless identity"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[trust.Status]string{trust.Signed: "signed", trust.NotSigned: "not_signed", trust.Unverified: "unverified"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), want)
		}
	}
}

// FuzzNew: any key text and identity either is refused with an error
// naming the key or identity, or gives a trust set holding exactly what it
// was given; nothing panics.
func FuzzNew(f *testing.F) {
	f.Add(ecdsaPEM(f), "https://accounts.example.com", "", "", `.*@example\.com`)
	f.Add("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "", "https://.*", "a", "")
	f.Add("", "i", "", "", "(")
	f.Fuzz(func(t *testing.T, key, issuer, issuerRE, subject, subjectRE string) {
		var keys []string
		if key != "" {
			keys = []string{key}
		}
		id := trust.Identity{Issuer: issuer, IssuerRegExp: issuerRE, Subject: subject, SubjectRegExp: subjectRE}
		tr, err := trust.New(keys, []trust.Identity{id})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "keys[0]: ") && !strings.HasPrefix(err.Error(), "identities[0]: ") {
				t.Fatalf("error does not name what it refuses: %v", err)
			}
			return
		}
		if len(tr.Keys()) != len(keys) || len(tr.Identities()) != 1 {
			t.Fatalf("trust holds %d keys and %d identities, given %d and 1", len(tr.Keys()), len(tr.Identities()), len(keys))
		}
	})
}
