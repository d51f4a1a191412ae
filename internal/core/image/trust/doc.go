// Package trust is the vocabulary of image signature checks: a trust set
// (public keys and keyless identities an image's signature must verify
// against), a request naming one image, and the verdict on it.
//
// It is a leaf: parsing keys and checking identities uses only the
// standard library, so the rule catalog can build trust sets when a policy
// is compiled without linking a registry client or cosign. Package
// signature verifies requests against a trust set.
package trust
