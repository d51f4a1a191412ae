// Package scanresult is the model of what image scanners found, for the
// scan-result rules (imagesNotScanned, imagesWithVulnerabilities,
// imagesWithCVSS...): one image's scans and findings, CVSS v3 vectors, and
// an in-memory index that finds an image's results on the admission path.
// It is a leaf the rule catalog reads; package scanreport reads the
// reports real scanners write into it.
//
// # Model
//
// An Image is identified by its manifest digests first ("sha256:..."), by
// its image ID (configuration digest) too, and by its tags normalised as
// the container runtime reads them (internal/core/image: "nginx:1.25" is
// "docker.io/library/nginx:1.25"). It records the scans done
// (vulnerability, malware, secret), each with its time and scanner, and
// their findings. A scan without findings is a clean scan; a scan type
// missing means not scanned.
//
// # CVSS
//
// Vectors are CVSS v3.0 or v3.1 with their version prefix, parsed by
// github.com/pandatix/go-cvss into attack vector, attack complexity and
// availability impact; v2 and v4 vectors are not read. When a finding has
// several vendors' vectors (chosen by package scanreport) (Trivy's CVSS map), NVD's is used, then the
// vendor Trivy took the severity from (SeveritySource; the operator's
// cvsssource), then the others alphabetically: Trivy Operator's score is
// NVD's too, and NVD assesses the vulnerability independently of a
// distribution's build. The base score is the vendor's, or computed from
// the vector. An invalid vector in a scanner's report is a warning naming
// the vulnerability, and the next vendor is used; in a Palisade document
// it is an error. The severity is always the report's (Trivy's choice
// among vendors), never derived from the chosen vector.
//
// # Index and lookup
//
// Index.Lookup(imageRef, digest) finds a digest match first. Otherwise it
// looks up the normalised reference, and an image found so counts only
// when it has no recorded manifest digest, or when no digest is given:
// a tag that now points at a different digest than the one scanned is
// unscanned. (An image ID is no manifest digest: a scan recording only an
// image ID, such as an archive's, matches its tag at any digest.)
// Results for the same image — sharing a digest or image ID, or without
// digest and sharing a tag — merge: per scan type the latest scan and its
// findings win. Keys are normalised when images are added, so a lookup is
// a couple of map reads and allocates nothing.
package scanresult
