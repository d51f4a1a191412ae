// Package signature checks that container images carry a Sigstore (cosign)
// signature made with a trusted key or by a trusted keyless identity.
//
// Tags are resolved to digests with go-containerregistry; the signatures
// stored beside a digest (the cosign "sha256-<digest>.sig" tag) are read
// and verified with cosign's own library, so no signature format is
// re-implemented here. Verdicts are cached per digest and trust set with a
// TTL, so admission pays the registry round trips once per image.
package signature
