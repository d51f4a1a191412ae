package scanresult

import (
	"fmt"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/image"
)

// validDigest reports whether d is a content digest as registries write
// them: "sha256:" and 64 lower-case hex digits (or sha384, sha512 with 96,
// 128), the algorithms the reference parser accepts. It allocates nothing.
func validDigest(d string) bool {
	alg, enc, ok := strings.Cut(d, ":")
	if !ok {
		return false
	}
	switch alg {
	case "sha256":
		return len(enc) == 64 && isLowerHex(enc)
	case "sha384":
		return len(enc) == 96 && isLowerHex(enc)
	case "sha512":
		return len(enc) == 128 && isLowerHex(enc)
	}
	return false
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// refKey is the key a reference is indexed under: the normalised
// reference without its digest ("docker.io/library/nginx:1.25"), or ""
// when it has no tag (a reference by digest only is matched by digest) or
// is invalid. It allocates nothing.
func refKey(r image.Ref) string {
	if r.Err != nil || r.Tag == "" || r.Registry == "" {
		return ""
	}
	if r.Digest != "" {
		return r.Path[:len(r.Path)-len(r.Digest)-1]
	}
	return r.Path
}

// ParseReference normalises a reference read from a report: its key (the
// tag, if any) and the digest it pins (if any).
func ParseReference(s string) (key, digest string, err error) {
	r := image.Parse(s)
	if r.Err != nil {
		return "", "", r.Err
	}
	if r.Registry == "" {
		// The reference parser reads "a_b.c/x" as a path without a
		// registry, which no runtime can pull.
		return "", "", fmt.Errorf("invalid image reference %q: its first part is neither a registry host nor a repository", s)
	}
	return refKey(r), r.Digest, nil
}

// CheckDigest returns an error for a string that is not a digest.
func CheckDigest(d string) error {
	if !validDigest(d) {
		return fmt.Errorf("not a digest (%q): want \"sha256:\" and 64 lower-case hex digits", d)
	}
	return nil
}
