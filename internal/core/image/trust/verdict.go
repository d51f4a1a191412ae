package trust

import "github.com/palisade-dev/palisade/internal/core/image"

// Status is a verification's verdict.
type Status uint8

// String names the status for metrics: signed, not_signed, unverified.
func (s Status) String() string {
	switch s {
	case Signed:
		return "signed"
	case NotSigned:
		return "not_signed"
	}
	return "unverified"
}

// Verdicts.
const (
	// Unverified: the registry could not be asked (unreachable, refused
	// access, too slow); Result.Detail says why.
	Unverified Status = iota
	// Signed: a signature on the digest verifies against the trust set.
	Signed
	// NotSigned: the registry answered, and no signature on the digest
	// verifies; Result.Detail says what was found.
	NotSigned
)

// Result is the verdict on one image.
type Result struct {
	Status Status
	// Digest is the digest that was judged ("" when the tag could not be
	// resolved).
	Digest string
	// Detail explains the verdict: who signed it, what was wrong with the
	// signatures found, or why the registry could not be asked.
	Detail string
}

// Request names one image to verify.
type Request struct {
	Image image.Ref
	// Namespace and PullSecrets locate the pod's imagePullSecrets.
	Namespace   string
	PullSecrets []string
}
