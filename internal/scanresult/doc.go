// Package scanresult holds what image scanners found, for the scan-result
// rules (imagesNotScanned, imagesWithVulnerabilities, imagesWithCVSS...):
// a model of one image's scans and findings, importers for the reports
// real scanners write, and an in-memory index that finds an image's
// results on the admission path. It is pure: it reads bytes and returns
// values; it does not scan, log or read the cluster.
//
// # Model
//
// An Image is identified by its manifest digests first ("sha256:..."), by
// its image ID (configuration digest) too, and by its tags normalised as
// the container runtime reads them (internal/image: "nginx:1.25" is
// "docker.io/library/nginx:1.25"). It records the scans done
// (vulnerability, malware, secret), each with its time and scanner, and
// their findings. A scan without findings is a clean scan; a scan type
// missing means not scanned.
//
// # Formats
//
// Import tells the formats apart by their first document (Detect): a
// Trivy JSON report has SchemaVersion; Trivy Operator resources have
// apiVersion aquasecurity.github.io/v1alpha1; Palisade's ScanResult has
// palisade.dev/v1. YAML streams, JSON sequences and Lists may mix the last
// two. Every problem comes back at once in an *Error, each with file,
// line and field path; what imports but not exactly as written comes back
// as located warnings.
//
// Trivy (trivy image -f json, SchemaVersion 2). Only container image
// reports are read (ArtifactType container_image). The image is
// Metadata.RepoDigests (digests), RepoTags and Reference (tags),
// ImageID, and ArtifactName unless it is an archive's path. Trivy's JSON
// does not say which scanners ran, so:
//   - a vulnerability scan is counted when there is an "os-pkgs" or
//     "lang-pkgs" result (Trivy writes the OS result even when it finds no
//     vulnerability) or any vulnerability; otherwise a warning says so;
//   - a secret scan is counted only when there is a "secret" result:
//     Trivy writes secret results only for files with findings, so a clean
//     secret scan leaves no trace and does not count. Record clean secret
//     scans with Trivy Operator (an ExposedSecretReport exists for every
//     scanned image) or a Palisade ScanResult.
//
// The scan time is CreatedAt (Trivy 0.48 and later); without it the scans
// have no time (a warning), which any maximum scan age must treat as too
// old.
//
// Trivy Operator. VulnerabilityReport and ClusterVulnerabilityReport
// record a vulnerability scan, ExposedSecretReport a secret scan (with no
// secrets, a clean one), at report.updateTimestamp. The image is
// report.registry.server + report.artifact.repository:tag, and
// report.artifact.digest. Other kinds (ConfigAuditReport...) are skipped
// with a warning. The operator writes CVSS vectors only when configured
// with additionalVulnerabilityReportFields including CVSS; otherwise a
// finding carries only its score, and no CVSS metric is known.
//
// Palisade (Document): for anything else, malware scanners included, and
// described for users in docs/scan-results.md. It is strict: unknown
// fields, keys given twice and invalid vectors are errors.
//
// # CVSS
//
// Vectors are CVSS v3.0 or v3.1 with their version prefix, parsed by
// github.com/pandatix/go-cvss into attack vector, attack complexity and
// availability impact; v2 and v4 vectors are not read. When a finding has
// several vendors' vectors (Trivy's CVSS map), NVD's is used, then the
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
