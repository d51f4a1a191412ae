package trust

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
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

// Anchored returns the identity with its expressions anchored, so that they
// must match the whole value: cosign matches an expression anywhere in the
// value, and "accounts.example.com" must not accept
// "evil.com/accounts.example.com".
func (id Identity) Anchored() Identity {
	id.IssuerRegExp = anchor(id.IssuerRegExp)
	id.SubjectRegExp = anchor(id.SubjectRegExp)
	return id
}

func anchor(re string) string {
	if re == "" {
		return ""
	}
	return "^(?:" + re + ")$"
}

// Key is one trusted public key.
type Key struct {
	// Public is an *ecdsa.PublicKey, an *rsa.PublicKey or an
	// ed25519.PublicKey: the key types cosign signs with.
	Public crypto.PublicKey
	// Name is the key's short fingerprint, for messages: "key sha256:1a2b3c4d".
	Name string
}

// Trust is what an image's signature must verify against: any of the keys
// or any of the identities. It is built once per policy rule and shared by
// every verification.
type Trust struct {
	keys       []Key
	identities []Identity
	// id names the trust set in verdict caches: two rules with the same
	// keys and identities share verdicts.
	id string
}

// New parses PEM public keys ("PUBLIC KEY" in PKIX form, or "RSA PUBLIC
// KEY" in PKCS #1 form, as cosign reads them) and checks the identities'
// expressions. Errors name the key or identity by its index.
func New(keysPEM []string, identities []Identity) (*Trust, error) {
	if len(keysPEM) == 0 && len(identities) == 0 {
		return nil, errors.New("no keys and no identities: nothing could verify a signature")
	}
	t := &Trust{identities: identities}
	h := sha256.New()
	for i, p := range keysPEM {
		pub, err := parsePublicKey([]byte(p))
		if err != nil {
			return nil, fmt.Errorf("keys[%d]: not a PEM public key: %w", i, err)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("keys[%d]: %w", i, err)
		}
		sum := sha256.Sum256(der)
		t.keys = append(t.keys, Key{Public: pub, Name: "key sha256:" + hex.EncodeToString(sum[:4])})
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

// parsePublicKey reads one PEM public key of a type cosign verifies with.
func parsePublicKey(b []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("PEM decoding failed")
	}
	var (
		pub crypto.PublicKey
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unknown public key PEM type %q", block.Type)
	}
	if err != nil {
		return nil, err
	}
	switch pub.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return pub, nil
	}
	return nil, fmt.Errorf("unsupported public key type %T", pub)
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

// Keys are the trusted keys, in the order given.
func (t *Trust) Keys() []Key { return t.keys }

// Identities are the trusted keyless identities, in the order given.
func (t *Trust) Identities() []Identity { return t.identities }

// ID names the trust set: equal keys and identities give equal IDs.
func (t *Trust) ID() string { return t.id }

// Describe says what the trust set accepts, for messages:
// "2 keys or 1 keyless identity".
func (t *Trust) Describe() string {
	var parts []string
	if n := len(t.keys); n > 0 {
		parts = append(parts, strconv.Itoa(n)+" "+plural(n, "key", "keys"))
	}
	if n := len(t.identities); n > 0 {
		parts = append(parts, strconv.Itoa(n)+" keyless "+plural(n, "identity", "identities"))
	}
	return strings.Join(parts, " or ")
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
