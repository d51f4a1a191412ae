package scanreport

import (
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// Trivy Operator kinds (aquasecurity.github.io/v1alpha1) and the scan each
// records.
var operatorKinds = map[string]scanresult.ScanType{
	"VulnerabilityReport":        scanresult.ScanVulnerability,
	"ClusterVulnerabilityReport": scanresult.ScanVulnerability,
	"ExposedSecretReport":        scanresult.ScanSecret,
}

var operatorKindNames = []string{"VulnerabilityReport", "ClusterVulnerabilityReport", "ExposedSecretReport"}

// operatorObject is a Trivy Operator resource, or a list of them.
type operatorObject struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name              string `json:"name"`
		Namespace         string `json:"namespace"`
		CreationTimestamp string `json:"creationTimestamp"`
	} `json:"metadata"`
	Report *operatorReport  `json:"report"`
	Items  []jsontext.Value `json:"items"`
}

// operatorReport is VulnerabilityReportData and ExposedSecretReportData
// (pkg/apis/aquasecurity/v1alpha1) in one.
type operatorReport struct {
	UpdateTimestamp string `json:"updateTimestamp"`
	Scanner         struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"scanner"`
	Registry struct {
		Server string `json:"server"`
	} `json:"registry"`
	Artifact struct {
		Repository string `json:"repository"`
		Digest     string `json:"digest"`
		Tag        string `json:"tag"`
	} `json:"artifact"`
	Vulnerabilities []operatorVuln   `json:"vulnerabilities"`
	Secrets         []operatorSecret `json:"secrets"`
}

type operatorVuln struct {
	VulnerabilityID  string   `json:"vulnerabilityID"`
	Resource         string   `json:"resource"`
	InstalledVersion string   `json:"installedVersion"`
	FixedVersion     string   `json:"fixedVersion"`
	Severity         string   `json:"severity"`
	Title            string   `json:"title"`
	PrimaryLink      string   `json:"primaryLink"`
	Score            *float64 `json:"score"`
	// CVSSSource and CVSS are filled only when the operator is configured
	// with additionalVulnerabilityReportFields including CVSS.
	CVSSSource string                `json:"cvsssource"`
	CVSS       map[string]vendorCVSS `json:"cvss"`
}

type operatorSecret struct {
	Target   string `json:"target"`
	RuleID   string `json:"ruleID"`
	Title    string `json:"title"`
	Category string `json:"category"`
	Severity string `json:"severity"`
}

// importOperator reads one Trivy Operator resource at base, or a typed
// list of them; listKind is the kind of the list's items when their own
// kind is not written.
func importOperator(ps *docProblems, rep *Report, base *field.Path, j []byte, listKind string) {
	var o operatorObject
	if err := decode(base, j, &o, false); err != nil {
		ps.fail(err)
		return
	}
	kind := o.Kind
	if kind == "" {
		kind = listKind
	}
	if item, ok := strings.CutSuffix(kind, "List"); ok && listKind == "" {
		if _, known := operatorKinds[item]; known {
			for i, it := range o.Items {
				importOperator(ps, rep, child(base, "items").Index(i), it, item)
			}
			return
		}
	}
	scan, ok := operatorKinds[kind]
	if !ok {
		ps.warn(field.NotSupported(child(base, "kind"), kind, operatorKindNames))
		return
	}
	if o.Report == nil {
		ps.fail(field.Required(child(base, "report"), ""))
		return
	}
	rp := child(base, "report")
	r := o.Report
	id := operatorIdentity(ps, rp, r)
	when := operatorTime(ps, base, &o)
	var vulns []scanresult.Vulnerability
	for i, v := range r.Vulnerabilities {
		vulns = append(vulns, operatorVulnerability(ps, rp.Child("vulnerabilities").Index(i), v))
	}
	var secrets []scanresult.Secret
	for i, s := range r.Secrets {
		sp := rp.Child("secrets").Index(i)
		sev, err := scanresult.ParseSeverity(s.Severity)
		if err != nil {
			ps.fail(field.NotSupported(sp.Child("severity"), s.Severity, severityValues))
		}
		if s.RuleID == "" && s.Title == "" {
			ps.fail(field.Required(sp.Child("ruleID"), "a secret needs a ruleID or a title"))
		}
		secrets = append(secrets, scanresult.Secret{RuleID: s.RuleID, Category: s.Category, Severity: sev, Title: s.Title, Target: s.Target})
	}
	if id == nil || len(ps.errs) > 0 {
		return
	}
	im := id.image()
	src := sourceOf(ps, base) + " " + kind
	if o.Metadata.Name != "" {
		src += " " + strings.TrimPrefix(o.Metadata.Namespace+"/"+o.Metadata.Name, "/")
	}
	scanner := strings.TrimSpace(r.Scanner.Name + " " + r.Scanner.Version)
	im.Scans = []scanresult.Scan{{Type: scan, Time: when, Scanner: scanner, Source: src}}
	if scan == scanresult.ScanVulnerability {
		im.Vulnerabilities = vulns
		if len(secrets) > 0 {
			ps.warn(field.Forbidden(rp.Child("secrets"), "a "+kind+" records no secret scan: ignored"))
		}
	} else {
		im.Secrets = secrets
		if len(vulns) > 0 {
			ps.warn(field.Forbidden(rp.Child("vulnerabilities"), "an "+kind+" records no vulnerability scan: ignored"))
		}
	}
	rep.Images = append(rep.Images, im)
}

// operatorIdentity reads report.registry and report.artifact.
func operatorIdentity(ps *docProblems, rp *field.Path, r *operatorReport) *identity {
	id := &identity{}
	a := r.Artifact
	ap := rp.Child("artifact")
	if a.Digest != "" {
		if err := scanresult.CheckDigest(a.Digest); err != nil {
			ps.fail(field.Invalid(ap.Child("digest"), a.Digest, err.Error()))
			return nil
		}
		id.addDigest(a.Digest)
	}
	if a.Repository == "" {
		if a.Digest == "" {
			ps.fail(field.Required(ap.Child("repository"), "the report names no image: no artifact.repository or artifact.digest"))
			return nil
		}
		return id
	}
	ref := a.Repository
	if s := r.Registry.Server; s != "" {
		ref = s + "/" + ref
	}
	switch {
	case a.Tag != "":
		ref += ":" + a.Tag
	case a.Digest != "":
		ref += "@" + a.Digest
	}
	if err := id.addReference(ref); err != nil {
		ps.fail(field.Invalid(ap.Child("repository"), ref, err.Error()))
		return nil
	}
	return id
}

// operatorTime is report.updateTimestamp, or the resource's creation time.
func operatorTime(ps *docProblems, base *field.Path, o *operatorObject) time.Time {
	p, s := child(base, "report").Child("updateTimestamp"), o.Report.UpdateTimestamp
	if s == "" {
		p, s = child(base, "metadata").Child("creationTimestamp"), o.Metadata.CreationTimestamp
	}
	if s == "" {
		ps.warn(field.Required(child(base, "report").Child("updateTimestamp"), "the report does not say when the scan ran: it has no time and counts as too old for any maximum scan age"))
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		ps.fail(field.Invalid(p, s, "must be an RFC 3339 time"))
	}
	return t
}

func operatorVulnerability(ps *docProblems, p *field.Path, v operatorVuln) scanresult.Vulnerability {
	if v.VulnerabilityID == "" {
		ps.fail(field.Required(p.Child("vulnerabilityID"), ""))
	}
	sev, err := scanresult.ParseSeverity(v.Severity)
	if err != nil {
		ps.fail(field.NotSupported(p.Child("severity"), v.Severity, severityValues))
	}
	c := chooseCVSS(ps, p.Child("cvss"), v.VulnerabilityID, v.CVSS, v.CVSSSource)
	if v.Score != nil && !scanresult.ValidScore(*v.Score) {
		ps.fail(field.Invalid(p.Child("score"), *v.Score, "must be between 0 and 10"))
	} else if c == nil && v.Score != nil {
		// Without the cvss field the operator gives only a score (NVD's
		// V3 score when there is one): the metrics are unknown.
		c = &scanresult.CVSS{BaseScore: *v.Score}
	}
	return scanresult.Vulnerability{
		ID:               v.VulnerabilityID,
		Package:          v.Resource,
		InstalledVersion: v.InstalledVersion,
		FixedVersion:     v.FixedVersion,
		Severity:         sev,
		CVSS:             c,
		Title:            v.Title,
		URL:              v.PrimaryLink,
	}
}
