package scanreport

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// trivyReport is the part of Trivy's JSON report (pkg/types.Report,
// SchemaVersion 2) that Palisade reads.
type trivyReport struct {
	SchemaVersion int    `json:"SchemaVersion"`
	CreatedAt     string `json:"CreatedAt"`
	ArtifactName  string `json:"ArtifactName"`
	ArtifactType  string `json:"ArtifactType"`
	Trivy         struct {
		Version string `json:"Version"`
	} `json:"Trivy"`
	Metadata struct {
		ImageID     string   `json:"ImageID"`
		RepoTags    []string `json:"RepoTags"`
		RepoDigests []string `json:"RepoDigests"`
		// Reference is the image as named on the command line (Trivy
		// 0.56 and later).
		Reference string `json:"Reference"`
	} `json:"Metadata"`
	Results []trivyResult `json:"Results"`
}

type trivyResult struct {
	Target          string        `json:"Target"`
	Class           string        `json:"Class"`
	Vulnerabilities []trivyVuln   `json:"Vulnerabilities"`
	Secrets         []trivySecret `json:"Secrets"`
}

type trivyVuln struct {
	VulnerabilityID  string                `json:"VulnerabilityID"`
	PkgName          string                `json:"PkgName"`
	InstalledVersion string                `json:"InstalledVersion"`
	FixedVersion     string                `json:"FixedVersion"`
	Severity         string                `json:"Severity"`
	SeveritySource   string                `json:"SeveritySource"`
	Title            string                `json:"Title"`
	PrimaryURL       string                `json:"PrimaryURL"`
	CVSS             map[string]vendorCVSS `json:"CVSS"`
}

// vendorCVSS is one vendor's CVSS data (trivy-db's types.CVSS), in Trivy
// reports and in Trivy Operator's optional cvss field alike.
type vendorCVSS struct {
	V2Vector  string  `json:"V2Vector"`
	V3Vector  string  `json:"V3Vector"`
	V2Score   float64 `json:"V2Score"`
	V3Score   float64 `json:"V3Score"`
	V40Vector string  `json:"V40Vector"`
	V40Score  float64 `json:"V40Score"`
}

type trivySecret struct {
	RuleID    string `json:"RuleID"`
	Category  string `json:"Category"`
	Severity  string `json:"Severity"`
	Title     string `json:"Title"`
	StartLine int    `json:"StartLine"`
}

// Trivy's result classes (pkg/types.ResultClass).
const (
	classOSPkgs   = "os-pkgs"
	classLangPkgs = "lang-pkgs"
	classSecret   = "secret"
)

// importTrivy reads one Trivy JSON report.
func importTrivy(ps *docProblems, rep *Report, base *field.Path, j []byte) {
	var tr trivyReport
	if err := decode(base, j, &tr, false); err != nil {
		ps.fail(err)
		return
	}
	if tr.SchemaVersion != 2 {
		ps.fail(field.NotSupported(child(base, "SchemaVersion"), tr.SchemaVersion, []string{"2"}))
		return
	}
	if tr.ArtifactType != "" && tr.ArtifactType != "container_image" {
		ps.fail(field.Invalid(child(base, "ArtifactType"), tr.ArtifactType, `only a report of "trivy image" (ArtifactType "container_image") describes an image`))
		return
	}
	id := trivyIdentity(ps, base, &tr)
	var when time.Time
	if tr.CreatedAt == "" {
		ps.warn(field.Required(child(base, "CreatedAt"), "the report does not say when the scan ran (Trivy before 0.48): its scans have no time and count as too old for any maximum scan age"))
	} else if t, err := time.Parse(time.RFC3339Nano, tr.CreatedAt); err != nil {
		ps.fail(field.Invalid(child(base, "CreatedAt"), tr.CreatedAt, "must be an RFC 3339 time"))
	} else {
		when = t
	}
	scanner := strings.TrimSpace("Trivy " + tr.Trivy.Version)
	var (
		vulnScan, secretScan bool
		vulns                []scanresult.Vulnerability
		secrets              []scanresult.Secret
	)
	for i, res := range tr.Results {
		p := child(base, "Results").Index(i)
		if res.Class == classOSPkgs || res.Class == classLangPkgs || len(res.Vulnerabilities) > 0 {
			vulnScan = true
		}
		if res.Class == classSecret || len(res.Secrets) > 0 {
			secretScan = true
		}
		for k, v := range res.Vulnerabilities {
			if vv, ok := trivyVulnerability(ps, p.Child("Vulnerabilities").Index(k), v); ok {
				vulns = append(vulns, vv)
			}
		}
		for k, s := range res.Secrets {
			sp := p.Child("Secrets").Index(k)
			sev, err := scanresult.ParseSeverity(s.Severity)
			if err != nil {
				ps.fail(field.NotSupported(sp.Child("Severity"), s.Severity, severityValues))
			}
			if s.RuleID == "" && s.Title == "" {
				ps.fail(field.Required(sp.Child("RuleID"), "a secret needs a RuleID or a Title"))
			}
			secrets = append(secrets, scanresult.Secret{RuleID: s.RuleID, Category: s.Category, Severity: sev, Title: s.Title, Target: res.Target, Line: max(s.StartLine, 0)})
		}
	}
	if id == nil || len(ps.errs) > 0 {
		return
	}
	im := id.image()
	src := sourceOf(ps, base)
	if vulnScan {
		im.Scans = append(im.Scans, scanresult.Scan{Type: scanresult.ScanVulnerability, Time: when, Scanner: scanner, Source: src})
		im.Vulnerabilities = vulns
	} else {
		ps.warn(field.Required(child(base, "Results"), `no "os-pkgs" or "lang-pkgs" result: vulnerability scanning was off (--scanners) or Trivy found no packages, so the report does not count as a vulnerability scan`))
	}
	if secretScan {
		im.Scans = append(im.Scans, scanresult.Scan{Type: scanresult.ScanSecret, Time: when, Scanner: scanner, Source: src})
		im.Secrets = secrets
	}
	rep.Images = append(rep.Images, im)
}

var errNoDigest = errors.New("not a reference by digest (name@sha256:...)")

// trivyIdentity reads the image's digests and tags from a Trivy report, or
// returns nil after recording why it has none.
func trivyIdentity(ps *docProblems, base *field.Path, tr *trivyReport) *identity {
	id := &identity{}
	md := child(base, "Metadata")
	for i, s := range tr.Metadata.RepoDigests {
		_, d, err := scanresult.ParseReference(s)
		if err == nil && d == "" {
			err = errNoDigest
		}
		if err != nil {
			ps.fail(field.Invalid(md.Child("RepoDigests").Index(i), s, err.Error()))
			continue
		}
		id.addDigest(d)
	}
	for i, s := range tr.Metadata.RepoTags {
		if strings.HasPrefix(s, "<none>") {
			continue // Docker's placeholder for an untagged image
		}
		if err := id.addReference(s); err != nil {
			ps.fail(field.Invalid(md.Child("RepoTags").Index(i), s, err.Error()))
		}
	}
	if d := tr.Metadata.ImageID; d != "" {
		if err := scanresult.CheckDigest(d); err != nil {
			ps.fail(field.Invalid(md.Child("ImageID"), d, err.Error()))
		}
		id.imageID = d
	}
	if s := tr.Metadata.Reference; s != "" {
		if err := id.addReference(s); err != nil {
			ps.warn(field.Invalid(md.Child("Reference"), s, "ignored: "+err.Error()))
		}
	}
	// ArtifactName is what was scanned: an image reference, or the path of
	// an archive (trivy image --input), which is no reference.
	if s := tr.ArtifactName; s != "" && !looksLikeFile(s) {
		_ = id.addReference(s)
	}
	if id.empty() {
		ps.fail(field.Required(md, "the report names no image: no Metadata.RepoTags, RepoDigests, ImageID or Reference, and ArtifactName is not an image reference"))
		return nil
	}
	return id
}

// looksLikeFile reports whether Trivy's ArtifactName is a file path (an
// image archive) rather than an image reference.
func looksLikeFile(s string) bool {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") {
		return true
	}
	for _, ext := range []string{".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2"} {
		if strings.HasSuffix(s, ext) {
			return true
		}
	}
	return false
}

// trivyVulnerability converts one finding; ok is false after an error.
func trivyVulnerability(ps *docProblems, p *field.Path, v trivyVuln) (scanresult.Vulnerability, bool) {
	ok := true
	if v.VulnerabilityID == "" {
		ps.fail(field.Required(p.Child("VulnerabilityID"), ""))
		ok = false
	}
	sev, err := scanresult.ParseSeverity(v.Severity)
	if err != nil {
		ps.fail(field.NotSupported(p.Child("Severity"), v.Severity, severityValues))
		ok = false
	}
	return scanresult.Vulnerability{
		ID:               v.VulnerabilityID,
		Package:          v.PkgName,
		InstalledVersion: v.InstalledVersion,
		FixedVersion:     v.FixedVersion,
		Severity:         sev,
		CVSS:             chooseCVSS(ps, p.Child("CVSS"), v.VulnerabilityID, v.CVSS, v.SeveritySource),
		Title:            v.Title,
		URL:              v.PrimaryURL,
	}, ok
}

// chooseCVSS picks the first vendor, in vendorOrder, whose V3 vector
// parses. An invalid vector is a warning naming the vulnerability, and the
// next vendor is tried; nil means no vendor has a valid V3 vector.
func chooseCVSS(ps *docProblems, p *field.Path, vulnID string, vendors map[string]vendorCVSS, preferred string) *scanresult.CVSS {
	for _, name := range vendorOrder(slices.Collect(maps.Keys(vendors)), preferred) {
		v := vendors[name]
		if v.V3Vector == "" {
			continue
		}
		c, err := scanresult.ParseCVSS(v.V3Vector)
		if err != nil {
			ps.warn(field.Invalid(p.Child(name, "V3Vector"), v.V3Vector, about(vulnID, err.Error()+"; this vendor's assessment is ignored")))
			continue
		}
		c.Source = name
		if v.V3Score > 0 && scanresult.ValidScore(v.V3Score) {
			c.BaseScore = v.V3Score
		}
		return &c
	}
	return nil
}
