// Package scanreport reads the reports image scanners write into the
// scanresult model: Trivy JSON, Trivy Operator resources and Palisade's
// ScanResult documents, with every problem located (file, line, field
// path); a followed folder of reports (Dir); and several named sources
// merged into one index swapped atomically (Sources). It reads bytes and
// files and returns values; it does not scan, log or read the cluster.
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
// When a finding has several vendors' CVSS vectors (Trivy's CVSS map),
// NVD's is used, then the vendor Trivy took the severity from
// (SeveritySource; the operator's cvsssource), then the others
// alphabetically (vendorOrder).
package scanreport
