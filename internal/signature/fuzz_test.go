package signature_test

import (
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/signature"
	"github.com/palisade-dev/palisade/internal/signature/signaturetest"
)

// FuzzNewTrust: any key text and identity either is refused with an error
// naming the key or identity, or gives a trust set holding exactly what it
// was given; nothing panics.
func FuzzNewTrust(f *testing.F) {
	f.Add(signaturetest.NewKey(f).PublicPEM, "https://accounts.example.com", "", "", `.*@example\.com`)
	f.Add("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "", "https://.*", "a", "")
	f.Add("", "i", "", "", "(")
	f.Fuzz(func(t *testing.T, key, issuer, issuerRE, subject, subjectRE string) {
		var keys []string
		if key != "" {
			keys = []string{key}
		}
		id := signature.Identity{Issuer: issuer, IssuerRegExp: issuerRE, Subject: subject, SubjectRegExp: subjectRE}
		tr, err := signature.NewTrust(keys, []signature.Identity{id})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "keys[0]: ") && !strings.HasPrefix(err.Error(), "identities[0]: ") {
				t.Fatalf("error does not name what it refuses: %v", err)
			}
			return
		}
		if tr.Keys() != len(keys) || tr.Identities() != 1 {
			t.Fatalf("trust holds %d keys and %d identities, given %d and 1", tr.Keys(), tr.Identities(), len(keys))
		}
	})
}
