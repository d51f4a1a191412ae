package scanreport

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// Document is Palisade's own scan-result format, for scanners Palisade has
// no importer for (malware scanners among them) and for scans a Trivy
// report cannot prove (a clean secret scan). One document describes one
// image; a file holds one or more (YAML documents, a JSON sequence, or a
// List). Unknown fields are errors. docs/scan-results.md describes it for
// users; an example:
//
//	apiVersion: palisade.dev/v1
//	kind: ScanResult
//	image:
//	  reference: registry.example.com/shop/api:1.4.2
//	  digest: sha256:4f9d1c0e9a0b8e6c2b8f4f2c9c3d0e3f1a2b3c4d5e6f708192a3b4c5d6e7f809
//	scans:
//	  - {type: malware, time: "2026-05-01T10:00:00Z", scanner: ClamAV 1.3.1}
//	  - {type: vulnerability, time: "2026-05-01T10:02:00Z", scanner: Grype 0.79.0}
//	malware:
//	  - {name: Eicar-Signature, path: /srv/www/eicar.com}
//	vulnerabilities:
//	  - id: CVE-2024-6387
//	    package: openssh-server
//	    installedVersion: 1:9.2p1-2
//	    fixedVersion: 1:9.2p1-2+deb12u3
//	    severity: HIGH
//	    cvss: {vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", source: nvd}
type Document struct {
	// APIVersion is "palisade.dev/v1".
	APIVersion string `json:"apiVersion"`
	// Kind is "ScanResult".
	Kind string `json:"kind"`
	// Metadata is optional and informational.
	Metadata *DocumentMetadata `json:"metadata,omitempty"`
	// Image identifies the scanned image; required.
	Image DocumentImage `json:"image"`
	// Scans are the scans done, at least one, one per type. A type listed
	// without findings is a clean scan.
	Scans []DocumentScan `json:"scans"`
	// Vulnerabilities require a vulnerability scan in Scans.
	Vulnerabilities []DocumentVulnerability `json:"vulnerabilities,omitempty"`
	// Secrets require a secret scan in Scans.
	Secrets []DocumentSecret `json:"secrets,omitempty"`
	// Malware requires a malware scan in Scans.
	Malware []DocumentMalware `json:"malware,omitempty"`
}

// DocumentMetadata names a document, as Kubernetes objects are named.
type DocumentMetadata struct {
	Name        string            `json:"name,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// DocumentImage identifies an image: a reference, a digest, or both
// (recommended). At least one of reference and digest is required.
type DocumentImage struct {
	// Reference is the image as a pod names it ("nginx:1.25",
	// "registry.example.com/shop/api:1.4.2"); it is normalised as the
	// container runtime reads it. It may pin a digest, which must then
	// equal Digest.
	Reference string `json:"reference,omitempty"`
	// Digest is the manifest (or index) digest that was scanned:
	// "sha256:" and 64 lower-case hex digits.
	Digest string `json:"digest,omitempty"`
	// ImageID is the image's configuration digest, when known.
	ImageID string `json:"imageID,omitempty"`
}

// DocumentScan is one scan done.
type DocumentScan struct {
	// Type is "vulnerability", "malware" or "secret"; required.
	Type scanresult.ScanType `json:"type"`
	// Time is when the scan ran, RFC 3339; required.
	Time string `json:"time"`
	// Scanner names the scanner and its version.
	Scanner string `json:"scanner,omitempty"`
}

// DocumentVulnerability is one vulnerable package.
type DocumentVulnerability struct {
	// ID is required ("CVE-2024-6387").
	ID               string `json:"id"`
	Package          string `json:"package,omitempty"`
	InstalledVersion string `json:"installedVersion,omitempty"`
	FixedVersion     string `json:"fixedVersion,omitempty"`
	// Severity is CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN (any letter
	// case). When absent it is the CVSS base score's rating (9.0 and up
	// CRITICAL, 7.0 HIGH, 4.0 MEDIUM, 0.1 LOW), or UNKNOWN without one.
	Severity string        `json:"severity,omitempty"`
	CVSS     *DocumentCVSS `json:"cvss,omitempty"`
	Title    string        `json:"title,omitempty"`
	URL      string        `json:"url,omitempty"`
}

// DocumentCVSS is a CVSS v3.0 or v3.1 assessment: a vector, a score, or
// both. An invalid vector is an error.
type DocumentCVSS struct {
	// Vector is the vector string, with its "CVSS:3.x/" prefix.
	Vector string `json:"vector,omitempty"`
	// Score is the base score (0 to 10); computed from Vector when absent.
	Score *float64 `json:"score,omitempty"`
	// Source names who assessed it ("nvd").
	Source string `json:"source,omitempty"`
}

// DocumentSecret is one secret found.
type DocumentSecret struct {
	// RuleID or Title is required.
	RuleID   string `json:"ruleID,omitempty"`
	Category string `json:"category,omitempty"`
	// Severity as for vulnerabilities; UNKNOWN when absent.
	Severity string `json:"severity,omitempty"`
	Title    string `json:"title,omitempty"`
	// Target is the file the secret is in.
	Target string `json:"target,omitempty"`
	// Line is the secret's first line in Target.
	Line int `json:"line,omitempty"`
}

// DocumentMalware is one piece of malware found.
type DocumentMalware struct {
	// Name is the malware's name or signature; required.
	Name string `json:"name"`
	// Path is the infected file.
	Path string `json:"path,omitempty"`
}

var scanTypeNames = []string{string(scanresult.ScanVulnerability), string(scanresult.ScanMalware), string(scanresult.ScanSecret)}

// importPalisade reads one ScanResult at base.
func importPalisade(ps *docProblems, rep *Report, base *field.Path, j []byte) {
	var d Document
	if err := decode(base, j, &d, true); err != nil {
		// An unknown or repeated field: report it, and the rest of what
		// is wrong too.
		ps.fail(err)
		d = Document{}
		if err.Type != field.ErrorTypeForbidden && err.Type != field.ErrorTypeDuplicate || decode(base, j, &d, false) != nil {
			return
		}
	}
	if d.Kind != kindScanResult {
		ps.fail(field.NotSupported(child(base, "kind"), d.Kind, []string{kindScanResult}))
		return
	}
	id := documentIdentity(ps, child(base, "image"), d.Image)
	im := &scanresult.Image{}
	if id != nil {
		im = id.image()
	}
	src := sourceOf(ps, base)
	sp := child(base, "scans")
	if len(d.Scans) == 0 {
		ps.fail(field.Required(sp, "at least one scan: a document without scans says nothing"))
	}
	for i, s := range d.Scans {
		p := sp.Index(i)
		switch {
		case s.Type == "":
			ps.fail(field.Required(p.Child("type"), ""))
			continue
		case !s.Type.Valid():
			ps.fail(field.NotSupported(p.Child("type"), s.Type, scanTypeNames))
			continue
		}
		if _, dup := im.Scan(s.Type); dup {
			ps.fail(field.Duplicate(p.Child("type"), s.Type))
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s.Time)
		if s.Time == "" {
			ps.fail(field.Required(p.Child("time"), "when the scan ran, RFC 3339"))
		} else if err != nil {
			ps.fail(field.Invalid(p.Child("time"), s.Time, "must be an RFC 3339 time"))
		}
		im.Scans = append(im.Scans, scanresult.Scan{Type: s.Type, Time: t, Scanner: s.Scanner, Source: src})
	}
	scanresult.SortScans(im.Scans)
	findings := func(name string, n int, t scanresult.ScanType) {
		if _, ok := im.Scan(t); n > 0 && !ok && len(d.Scans) > 0 {
			ps.fail(field.Forbidden(child(base, name), fmt.Sprintf("findings without a %s scan in scans", t)))
		}
	}
	findings("vulnerabilities", len(d.Vulnerabilities), scanresult.ScanVulnerability)
	findings("secrets", len(d.Secrets), scanresult.ScanSecret)
	findings("malware", len(d.Malware), scanresult.ScanMalware)
	for i, v := range d.Vulnerabilities {
		im.Vulnerabilities = append(im.Vulnerabilities, documentVulnerability(ps, child(base, "vulnerabilities").Index(i), v))
	}
	for i, s := range d.Secrets {
		p := child(base, "secrets").Index(i)
		sev, err := scanresult.ParseSeverity(s.Severity)
		if err != nil {
			ps.fail(field.NotSupported(p.Child("severity"), s.Severity, severityValues))
		}
		if s.RuleID == "" && s.Title == "" {
			ps.fail(field.Required(p.Child("ruleID"), "a secret needs a ruleID or a title"))
		}
		if s.Line < 0 {
			ps.fail(field.Invalid(p.Child("line"), s.Line, "must be 1 or more"))
		}
		im.Secrets = append(im.Secrets, scanresult.Secret{RuleID: s.RuleID, Category: s.Category, Severity: sev, Title: s.Title, Target: s.Target, Line: s.Line})
	}
	for i, m := range d.Malware {
		if m.Name == "" {
			ps.fail(field.Required(child(base, "malware").Index(i).Child("name"), ""))
		}
		im.Malware = append(im.Malware, scanresult.Malware(m))
	}
	if id == nil || len(ps.errs) > 0 {
		return
	}
	rep.Images = append(rep.Images, im)
}

// documentIdentity checks a document's image.
func documentIdentity(ps *docProblems, p *field.Path, di DocumentImage) *identity {
	id := &identity{}
	ok := true
	if di.Digest != "" {
		if err := scanresult.CheckDigest(di.Digest); err != nil {
			ps.fail(field.Invalid(p.Child("digest"), di.Digest, err.Error()))
			ok = false
		}
		id.addDigest(di.Digest)
	}
	if di.ImageID != "" {
		if err := scanresult.CheckDigest(di.ImageID); err != nil {
			ps.fail(field.Invalid(p.Child("imageID"), di.ImageID, err.Error()))
			ok = false
		}
		id.imageID = di.ImageID
	}
	if di.Reference != "" {
		k, d, err := scanresult.ParseReference(di.Reference)
		switch {
		case err != nil:
			ps.fail(field.Invalid(p.Child("reference"), di.Reference, err.Error()))
			ok = false
		case d != "" && di.Digest != "" && d != di.Digest:
			ps.fail(field.Invalid(p.Child("reference"), di.Reference, "pins a digest other than image.digest"))
			ok = false
		}
		id.addRef(k)
		id.addDigest(d)
	}
	if di.Reference == "" && di.Digest == "" {
		ps.fail(field.Required(p.Child("reference"), "an image needs a reference, a digest, or both"))
		ok = false
	}
	if !ok {
		return nil
	}
	return id
}

func documentVulnerability(ps *docProblems, p *field.Path, v DocumentVulnerability) scanresult.Vulnerability {
	if v.ID == "" {
		ps.fail(field.Required(p.Child("id"), ""))
	}
	out := scanresult.Vulnerability{ID: v.ID, Package: v.Package, InstalledVersion: v.InstalledVersion, FixedVersion: v.FixedVersion, Title: v.Title, URL: v.URL}
	if c := v.CVSS; c != nil {
		cp := p.Child("cvss")
		var cv scanresult.CVSS
		switch {
		case c.Vector != "":
			var err error
			if cv, err = scanresult.ParseCVSS(c.Vector); err != nil {
				ps.fail(field.Invalid(cp.Child("vector"), c.Vector, about(v.ID, err.Error())))
			}
		case c.Score == nil:
			ps.fail(field.Required(cp.Child("vector"), "cvss needs a vector, a score, or both"))
		}
		if c.Score != nil {
			if !scanresult.ValidScore(*c.Score) {
				ps.fail(field.Invalid(cp.Child("score"), *c.Score, "must be between 0 and 10"))
			}
			cv.BaseScore = *c.Score
		}
		cv.Source = c.Source
		out.CVSS = &cv
	}
	if v.Severity == "" {
		out.Severity = scanresult.SeverityUnknown
		if out.CVSS != nil {
			out.Severity = ratingOf(out.CVSS.BaseScore)
		}
		return out
	}
	sev, err := scanresult.ParseSeverity(v.Severity)
	if err != nil {
		ps.fail(field.NotSupported(p.Child("severity"), v.Severity, severityValues))
	}
	out.Severity = sev
	return out
}

// about prefixes a message with the vulnerability it is about, if known.
func about(id, msg string) string {
	if id == "" {
		return msg
	}
	return id + ": " + msg
}

// ratingOf is CVSS v3's qualitative rating of a base score.
func ratingOf(score float64) scanresult.Severity {
	switch {
	case score >= 9:
		return scanresult.SeverityCritical
	case score >= 7:
		return scanresult.SeverityHigh
	case score >= 4:
		return scanresult.SeverityMedium
	case score > 0:
		return scanresult.SeverityLow
	}
	return scanresult.SeverityUnknown
}
