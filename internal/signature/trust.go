package signature

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
)

// Identity is a keyless signer: the OIDC issuer that vouched for it and the
// subject (an email, a workflow URI) written into its Fulcio certificate.
// Each part is given exactly, or as an RE2 expression that must match the
// whole value.
type Identity struct {
	Issuer        string
	IssuerRegExp  string
	Subject       string
	SubjectRegExp string
}

// String describes the identity for messages.
func (id Identity) String() string {
	issuer, subject := strconv.Quote(id.Issuer), strconv.Quote(id.Subject)
	if id.IssuerRegExp != "" {
		issuer = "/" + id.IssuerRegExp + "/"
	}
	if id.SubjectRegExp != "" {
		subject = "/" + id.SubjectRegExp + "/"
	}
	return "subject " + subject + " from issuer " + issuer
}

// Trust is what an image's signature must verify against: any of the keys
// or any of the identities. It is built once per policy rule and shared by
// every verification.
type Trust struct {
	keys       []key
	identities []Identity
	// id names the trust set in the verdict cache: two rules with the same
	// keys and identities share verdicts.
	id string
}

type key struct {
	verifier sigsig.Verifier
	// name is the key's short fingerprint, for messages: "key sha256:1a2b3c4d".
	name string
}

// NewTrust parses PEM public keys and checks the identities' expressions.
// Errors name the key or identity by its index.
func NewTrust(keysPEM []string, identities []Identity) (*Trust, error) {
	if len(keysPEM) == 0 && len(identities) == 0 {
		return nil, fmt.Errorf("no keys and no identities: nothing could verify a signature")
	}
	t := &Trust{identities: identities}
	h := sha256.New()
	for i, p := range keysPEM {
		pub, err := cryptoutils.UnmarshalPEMToPublicKey([]byte(p))
		if err != nil {
			return nil, fmt.Errorf("keys[%d]: not a PEM public key: %w", i, err)
		}
		v, err := sigsig.LoadVerifier(pub, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("keys[%d]: %w", i, err)
		}
		der, err := cryptoutils.MarshalPublicKeyToDER(pub)
		if err != nil {
			return nil, fmt.Errorf("keys[%d]: %w", i, err)
		}
		sum := sha256.Sum256(der)
		t.keys = append(t.keys, key{verifier: v, name: "key sha256:" + hex.EncodeToString(sum[:4])})
		h.Write(der)
		h.Write([]byte{0})
	}
	for i, id := range identities {
		if err := id.validate(); err != nil {
			return nil, fmt.Errorf("identities[%d]: %w", i, err)
		}
		fmt.Fprintf(h, "%q %q %q %q\n", id.Issuer, id.IssuerRegExp, id.Subject, id.SubjectRegExp)
	}
	t.id = hex.EncodeToString(h.Sum(nil)[:12])
	return t, nil
}

// validate checks that each part is given once and that expressions compile.
func (id Identity) validate() error {
	for _, p := range []struct{ name, exact, re string }{
		{"issuer", id.Issuer, id.IssuerRegExp},
		{"subject", id.Subject, id.SubjectRegExp},
	} {
		switch {
		case p.exact == "" && p.re == "":
			return fmt.Errorf("%s or %sRegExp is required", p.name, p.name)
		case p.exact != "" && p.re != "":
			return fmt.Errorf("give %s or %sRegExp, not both", p.name, p.name)
		case p.re != "":
			if _, err := regexp.Compile(p.re); err != nil {
				return fmt.Errorf("%sRegExp: %w", p.name, err)
			}
		}
	}
	return nil
}

// Keys is how many keys the trust set holds.
func (t *Trust) Keys() int { return len(t.keys) }

// Identities is how many keyless identities the trust set holds.
func (t *Trust) Identities() int { return len(t.identities) }

// describe says what the trust set accepts, for messages.
func (t *Trust) describe() string {
	var parts []string
	if n := len(t.keys); n > 0 {
		parts = append(parts, strconv.Itoa(n)+" "+plural(n, "key", "keys"))
	}
	if n := len(t.identities); n > 0 {
		parts = append(parts, strconv.Itoa(n)+" keyless "+plural(n, "identity", "identities"))
	}
	return strings.Join(parts, " or ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cosign is id in cosign's terms.
// Expressions are anchored: cosign matches them anywhere in the value, and
// "accounts.example.com" must not accept "evil.com/accounts.example.com".
func (id Identity) cosign() cosign.Identity {
	return cosign.Identity{Issuer: id.Issuer, IssuerRegExp: anchor(id.IssuerRegExp), Subject: id.Subject, SubjectRegExp: anchor(id.SubjectRegExp)}
}

func anchor(re string) string {
	if re == "" {
		return ""
	}
	return "^(?:" + re + ")$"
}
