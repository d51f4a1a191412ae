package scanresult

import (
	"fmt"
	"strings"
	"time"
)

// ScanType names a kind of image scan, as imagesNotScanned's scanType does.
type ScanType string

// The scan types Palisade's rules know.
const (
	ScanVulnerability ScanType = "vulnerability"
	ScanMalware       ScanType = "malware"
	ScanSecret        ScanType = "secret"
)

// ScanTypes lists every scan type, in the order an Image keeps its scans.
func ScanTypes() []ScanType {
	return []ScanType{ScanVulnerability, ScanMalware, ScanSecret}
}

func (t ScanType) Valid() bool {
	return t == ScanVulnerability || t == ScanMalware || t == ScanSecret
}

func (t ScanType) order() int {
	switch t {
	case ScanVulnerability:
		return 0
	case ScanMalware:
		return 1
	default:
		return 2
	}
}

// Severity is a finding's severity as scanners write it: CRITICAL, HIGH,
// MEDIUM, LOW or UNKNOWN.
type Severity string

// The severities, most severe first.
const (
	SeverityCritical Severity = "CRITICAL"
	SeverityHigh     Severity = "HIGH"
	SeverityMedium   Severity = "MEDIUM"
	SeverityLow      Severity = "LOW"
	SeverityUnknown  Severity = "UNKNOWN"
)

// Rank orders severities: CRITICAL 4, HIGH 3, MEDIUM 2, LOW 1, UNKNOWN 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	}
	return 0
}

// ParseSeverity reads a severity in any letter case. An empty string is
// UNKNOWN; so is Trivy Operator's NONE.
func ParseSeverity(s string) (Severity, error) {
	switch u := strings.ToUpper(s); u {
	case "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN":
		return Severity(u), nil
	case "", "NONE":
		return SeverityUnknown, nil
	}
	return "", fmt.Errorf("unsupported severity %q", s)
}

// Image is everything known about the scans of one image: its identity
// (digests first, normalised references as a fallback), the scans done
// and their findings. An Image held by an Index is shared and must not be
// modified.
type Image struct {
	// Digests are the image's manifest (or index) digests,
	// "sha256:<64 hex>": the digests a tag points at and a pod may pin.
	// They are the image's identity.
	Digests []string `json:"digests,omitempty"`
	// ImageID is the digest of the image's configuration (Trivy's
	// Metadata.ImageID, a container runtime's image ID). It identifies the
	// same content but is not what a tag points at.
	ImageID string `json:"imageID,omitempty"`
	// References are the image's tags, normalised as the container runtime
	// reads them ("docker.io/library/nginx:1.25"), without digest.
	References []string `json:"references,omitempty"`
	// Scans are the scans done, at most one per type, in the order of
	// ScanTypes(). A scan without findings is a clean scan.
	Scans []Scan `json:"scans,omitempty"`
	// Vulnerabilities are the findings of the vulnerability scan.
	Vulnerabilities []Vulnerability `json:"vulnerabilities,omitempty"`
	// Secrets are the findings of the secret scan.
	Secrets []Secret `json:"secrets,omitempty"`
	// Malware are the findings of the malware scan.
	Malware []Malware `json:"malware,omitempty"`
}

// Scan is one scan done on an image.
type Scan struct {
	Type ScanType `json:"type"`
	// Time is when the scan ran. It is zero when the report does not say
	// (old Trivy versions); a rule with a maximum scan age must then treat
	// the scan as too old.
	Time time.Time `json:"time"`
	// Scanner names the scanner and its version, as the report gives them
	// ("Trivy 0.50.1").
	Scanner string `json:"scanner,omitempty"`
	// Source says where the result was imported from: the file, and for
	// Kubernetes resources the resource ("reports.yaml:12
	// VulnerabilityReport shop/replicaset-api-7d9-api").
	Source string `json:"source,omitempty"`
}

// Scan returns the image's scan of type t, if it was done.
func (im *Image) Scan(t ScanType) (Scan, bool) {
	for _, s := range im.Scans {
		if s.Type == t {
			return s, true
		}
	}
	return Scan{}, false
}

// LastScan is the time of the image's most recent scan of any type.
func (im *Image) LastScan() time.Time {
	var last time.Time
	for _, s := range im.Scans {
		if s.Time.After(last) {
			last = s.Time
		}
	}
	return last
}

// Vulnerability is one vulnerable package.
type Vulnerability struct {
	// ID is the vulnerability's identifier ("CVE-2019-1549", "GHSA-...").
	ID string `json:"id"`
	// Package is the vulnerable package ("libssl1.1").
	Package          string `json:"package,omitempty"`
	InstalledVersion string `json:"installedVersion,omitempty"`
	// FixedVersion is empty when no fix is known.
	FixedVersion string   `json:"fixedVersion,omitempty"`
	Severity     Severity `json:"severity"`
	// CVSS is the CVSS v3.x assessment chosen for the finding (the
	// package documentation says how), nil when the report gives none.
	CVSS  *CVSS  `json:"cvss,omitempty"`
	Title string `json:"title,omitempty"`
	// URL is the advisory's link (Trivy's PrimaryURL).
	URL string `json:"url,omitempty"`
}

// Secret is one secret found in an image.
type Secret struct {
	RuleID   string   `json:"ruleID,omitempty"`
	Category string   `json:"category,omitempty"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title,omitempty"`
	// Target is the file the secret is in.
	Target string `json:"target,omitempty"`
	// Line is the secret's first line in Target; 0 when unknown.
	Line int `json:"line,omitempty"`
}

// Malware is one piece of malware found in an image.
type Malware struct {
	// Name is the malware's name or signature ("Eicar-Signature").
	Name string `json:"name"`
	// Path is the infected file, when the scanner says.
	Path string `json:"path,omitempty"`
}
