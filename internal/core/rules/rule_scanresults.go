package rules

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/core/image/trust"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// ScanResults finds what scanners recorded about an image: the scan-result
// rules read it. *scanresult.Index implements it.
type ScanResults interface {
	// LookupRef returns the results for the image r names, running digest
	// when known ("" otherwise); see scanresult.Index.Lookup.
	LookupRef(r image.Ref, digest string) (*scanresult.Image, bool)
}

// shownFindings is how many findings a message names; the rest are counted.
const shownFindings = 3

// Values the scan-result properties accept.
var (
	scanTypes      = []string{"vulnerability", "malware", "secret"}
	severityLevels = []string{"critical", "high", "medium", "low", "any"}
	attackVectors  = []string{"network", "adjacent", "physical", "local"}
	lowHigh        = []string{"low", "high"}
)

// ImagesNotScannedParams selects the scan an image must have had.
type ImagesNotScannedParams struct {
	ScanType   string `json:"scanType" doc:"vulnerability, malware or secret: the scan the image must have had"`
	MaxScanAge int    `json:"maxScanAge" doc:"days; a scan older than this counts as not done (0: any age)"`
}

// Validate implements the properties check.
func (p *ImagesNotScannedParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !slices.Contains(scanTypes, p.ScanType) {
		errs = append(errs, field.NotSupported(path.Child("scanType"), p.ScanType, scanTypes))
	}
	if p.MaxScanAge < 0 {
		errs = append(errs, field.Invalid(path.Child("maxScanAge"), p.MaxScanAge, "must be 0 (any age) or a number of days"))
	}
	return errs
}

// SeverityParams is a minimum vulnerability severity.
type SeverityParams struct {
	Severity string `json:"severity" doc:"critical, high, medium or low: that severity or above; any: every vulnerability, unrated ones included"`
}

// Validate implements the properties check.
func (p *SeverityParams) Validate(path *field.Path) field.ErrorList {
	return validateSeverity(p.Severity, path)
}

// AttackVectorParams filters vulnerabilities by CVSS attack vector.
type AttackVectorParams struct {
	AttackVector string `json:"attackVector" doc:"network, adjacent or physical (physical means Trend Micro's \"local or physical\": it matches AV:L and AV:P; local is the same)"`
	Severity     string `json:"severity" doc:"critical, high, medium or low: that severity or above; any: every severity"`
}

// Validate implements the properties check.
func (p *AttackVectorParams) Validate(path *field.Path) field.ErrorList {
	errs := validateSeverity(p.Severity, path)
	if !slices.Contains(attackVectors, p.AttackVector) {
		errs = append(errs, field.NotSupported(path.Child("attackVector"), p.AttackVector, attackVectors[:3]))
	}
	return errs
}

// AttackComplexityParams filters vulnerabilities by CVSS attack complexity.
type AttackComplexityParams struct {
	AttackComplexity string `json:"attackComplexity" doc:"low (AC:L, exploitable at will) or high (AC:H)"`
	Severity         string `json:"severity" doc:"critical, high, medium or low: that severity or above; any: every severity"`
}

// Validate implements the properties check.
func (p *AttackComplexityParams) Validate(path *field.Path) field.ErrorList {
	errs := validateSeverity(p.Severity, path)
	if !slices.Contains(lowHigh, p.AttackComplexity) {
		errs = append(errs, field.NotSupported(path.Child("attackComplexity"), p.AttackComplexity, lowHigh))
	}
	return errs
}

// AvailabilityImpactParams filters vulnerabilities by CVSS availability
// impact.
type AvailabilityImpactParams struct {
	AvailabilityImpact string `json:"availabilityImpact" doc:"low (A:L) or high (A:H)"`
	Severity           string `json:"severity" doc:"critical, high, medium or low: that severity or above; any: every severity"`
}

// Validate implements the properties check.
func (p *AvailabilityImpactParams) Validate(path *field.Path) field.ErrorList {
	errs := validateSeverity(p.Severity, path)
	if !slices.Contains(lowHigh, p.AvailabilityImpact) {
		errs = append(errs, field.NotSupported(path.Child("availabilityImpact"), p.AvailabilityImpact, lowHigh))
	}
	return errs
}

func validateSeverity(s string, path *field.Path) field.ErrorList {
	if slices.Contains(severityLevels, s) {
		return nil
	}
	return field.ErrorList{field.NotSupported(path.Child("severity"), s, severityLevels)}
}

// minRank is the lowest scanresult.Severity rank a severity property
// admits: "any" admits unrated (UNKNOWN) findings too.
func minRank(s string) int {
	if s == "any" {
		return 0
	}
	return scanresult.Severity(strings.ToUpper(s)).Rank()
}

const scanResultsNote = " Results come from the scanners' reports Palisade was given (Trivy, Trivy Operator, or Palisade's format; see docs/scan-results.md), " +
	"matched by digest first and by tag otherwise: a tag now pointing at a digest other than the one scanned is unscanned."

func init() {
	register(
		&Rule{
			ID:    "imagesNotScanned",
			Title: "Image not scanned",
			Description: "Flags containers whose image has no scan of the given type (vulnerability, malware or secret), or only one older than maxScanAge days: " +
				"an image nobody looked at may carry anything." + scanResultsNote,
			Sources: []Source{trendMicro("imagesNotScanned")}, Severity: High, Tabs: deploymentOnly, Targets: TargetPod, ScanResults: true, ContainersOnly: true,
			Params: func() any { return &ImagesNotScannedParams{ScanType: "vulnerability"} },
			New:    newImagesNotScanned,
		},
		&Rule{
			ID:          "imagesWithMalware",
			Title:       "Image with malware",
			Description: "Flags containers whose image's malware scan found malware, naming it." + scanResultsNote,
			Sources:     []Source{trendMicro("imagesWithMalware")}, Severity: Critical, Tabs: deploymentOnly, Targets: TargetPod, ScanResults: true, ContainersOnly: true,
			New: func(any) (Check, error) { return scanCheck(malwareFindings), nil },
		},
		&Rule{
			ID:          "imagesWithSecrets",
			Title:       "Image with secrets",
			Description: "Flags containers whose image's secret scan found secrets (keys, tokens, passwords) baked into its layers, naming the rule and file." + scanResultsNote,
			Sources:     []Source{trendMicro("imagesWithSecrets")}, Severity: High, Tabs: deploymentOnly, Targets: TargetPod, ScanResults: true, ContainersOnly: true,
			New: func(any) (Check, error) { return scanCheck(secretFindings), nil },
		},
		&Rule{
			ID:    "imagesWithVulnerabilities",
			Title: "Image with vulnerabilities at or above a severity",
			Description: "Flags containers whose image has vulnerabilities of the given severity or above (the scanner's severity), naming the worst." +
				scanResultsNote,
			Sources: []Source{trendMicro("imagesWithVulnerabilities")}, Severity: High, Tabs: deploymentOnly, Targets: TargetPod, ScanResults: true, ContainersOnly: true,
			Params: func() any { return &SeverityParams{Severity: "critical"} },
			New: func(p any) (Check, error) {
				sev := p.(*SeverityParams).Severity
				return vulnerabilityRule(func(*scanresult.CVSS) bool { return true }, "", sev), nil
			},
		},
		&Rule{
			ID:    "imagesWithCVSSAttackVector",
			Title: "Image with vulnerabilities exploitable over a CVSS attack vector",
			Description: "Flags containers whose image has vulnerabilities of the given severity or above whose CVSS v3 attack vector (AV) is the given one: " +
				"network vulnerabilities are reachable from anywhere the pod is. A vulnerability without a CVSS vector cannot match." + scanResultsNote,
			Sources: []Source{trendMicro("imagesWithCVSSAttackVector")}, Severity: High, Tabs: deploymentOnly, Targets: TargetPod, ScanResults: true, ContainersOnly: true,
			Params: func() any { return &AttackVectorParams{AttackVector: "network", Severity: "critical"} },
			New: func(p any) (Check, error) {
				pp := p.(*AttackVectorParams)
				want := []scanresult.AttackVector{scanresult.AttackVector(pp.AttackVector)}
				if pp.AttackVector == "physical" || pp.AttackVector == "local" {
					want = []scanresult.AttackVector{scanresult.AttackVectorLocal, scanresult.AttackVectorPhysical}
				}
				match := func(c *scanresult.CVSS) bool { return c != nil && slices.Contains(want, c.AttackVector) }
				return vulnerabilityRule(match, "attack vector "+pp.AttackVector, pp.Severity), nil
			},
		},
		&Rule{
			ID:    "imagesWithCVSSAttackComplexity",
			Title: "Image with vulnerabilities of a CVSS attack complexity",
			Description: "Flags containers whose image has vulnerabilities of the given severity or above whose CVSS v3 attack complexity (AC) is the given one " +
				"(low: no special conditions are needed to exploit them). A vulnerability without a CVSS vector cannot match." + scanResultsNote,
			Sources: []Source{trendMicro("imagesWithCVSSAttackComplexity")}, Severity: High, Tabs: deploymentOnly, Targets: TargetPod, ScanResults: true, ContainersOnly: true,
			Params: func() any { return &AttackComplexityParams{AttackComplexity: "low", Severity: "critical"} },
			New: func(p any) (Check, error) {
				pp := p.(*AttackComplexityParams)
				want := scanresult.AttackComplexity(pp.AttackComplexity)
				match := func(c *scanresult.CVSS) bool { return c != nil && c.AttackComplexity == want }
				return vulnerabilityRule(match, "attack complexity "+pp.AttackComplexity, pp.Severity), nil
			},
		},
		&Rule{
			ID:    "imagesWithCVSSAvailabilityImpact",
			Title: "Image with vulnerabilities of a CVSS availability impact",
			Description: "Flags containers whose image has vulnerabilities of the given severity or above whose CVSS v3 availability impact (A) is the given one " +
				"(high: an exploit can take the service down). A vulnerability without a CVSS vector cannot match." + scanResultsNote,
			Sources: []Source{trendMicro("imagesWithCVSSAvailabilityImpact")}, Severity: Medium, Tabs: deploymentOnly, Targets: TargetPod, ScanResults: true, ContainersOnly: true,
			Params: func() any { return &AvailabilityImpactParams{AvailabilityImpact: "high", Severity: "critical"} },
			New: func(p any) (Check, error) {
				pp := p.(*AvailabilityImpactParams)
				want := scanresult.Impact(pp.AvailabilityImpact)
				match := func(c *scanresult.CVSS) bool { return c != nil && c.AvailabilityImpact == want }
				return vulnerabilityRule(match, "availability impact "+pp.AvailabilityImpact, pp.Severity), nil
			},
		},
	)
}

func newImagesNotScanned(p any) (Check, error) {
	pp := p.(*ImagesNotScannedParams)
	st := scanresult.ScanType(pp.ScanType)
	maxAge := time.Duration(pp.MaxScanAge) * 24 * time.Hour
	return func(in *Input) []Finding {
		var out []Finding
		for _, c := range in.Containers {
			detail := ""
			im, ok, err := in.lookup(c)
			switch {
			case c.Image.Err != nil:
				detail = "invalid image reference"
			case err != nil:
				detail = "could not match a scan: " + err.Error()
			case !ok:
				detail = "no scan results for this image"
			default:
				s, done := im.Scan(st)
				switch {
				case !done:
					detail = "no " + pp.ScanType + " scan recorded"
				case pp.MaxScanAge > 0 && s.Time.IsZero():
					detail = "the " + pp.ScanType + " scan's time is unknown (maxScanAge " + strconv.Itoa(pp.MaxScanAge) + " days)"
				case pp.MaxScanAge > 0 && in.now().Sub(s.Time) > maxAge:
					days := int(in.now().Sub(s.Time) / (24 * time.Hour))
					detail = fmt.Sprintf("the last %s scan is %d days old, on %s (maxScanAge %d days)",
						pp.ScanType, days, s.Time.UTC().Format(time.DateOnly), pp.MaxScanAge)
				}
			}
			if detail != "" {
				out = append(out, imageFinding(c, detail))
			}
		}
		return out
	}, nil
}

// scanCheck flags every in-scope container whose image's scan results make
// describe return a non-empty detail. Images without results, or with an
// invalid reference, pass: imagesNotScanned is the rule for those. When the
// registry cannot tell which digest a tag names, the tag's own results are
// judged and the finding says so: a scan of the image the tag named before
// is the best evidence there is, and it can only add findings.
func scanCheck(describe func(*scanresult.Image) string) Check {
	return func(in *Input) []Finding {
		var out []Finding
		for _, c := range in.Containers {
			if c.Image.Err != nil {
				continue
			}
			im, ok, err := in.lookup(c)
			if err != nil {
				im, ok = in.ScanResults.LookupRef(c.Image, "")
			}
			if !ok {
				continue
			}
			if d := describe(im); d != "" {
				if err != nil {
					d += " (matched by tag: " + err.Error() + ")"
				}
				out = append(out, imageFinding(c, d))
			}
		}
		return out
	}
}

func imageFinding(c *workload.Container, detail string) Finding {
	f := ContainerFinding("image", c, "image", c.Image.Path)
	if c.Image.Err != nil {
		f.Value = c.Image.Raw
	}
	f.Detail = detail
	return f
}

func malwareFindings(im *scanresult.Image) string {
	if len(im.Malware) == 0 {
		return ""
	}
	names := make([]string, 0, min(len(im.Malware), shownFindings))
	for _, m := range im.Malware[:min(len(im.Malware), shownFindings)] {
		n := m.Name
		if m.Path != "" {
			n += " (" + m.Path + ")"
		}
		names = append(names, n)
	}
	return "malware found: " + listMore(names, len(im.Malware))
}

func secretFindings(im *scanresult.Image) string {
	if len(im.Secrets) == 0 {
		return ""
	}
	s := slices.Clone(im.Secrets)
	slices.SortStableFunc(s, func(a, b scanresult.Secret) int { return b.Severity.Rank() - a.Severity.Rank() })
	names := make([]string, 0, min(len(s), shownFindings))
	for _, x := range s[:min(len(s), shownFindings)] {
		n := cmp.Or(x.RuleID, x.Title)
		if x.Target != "" {
			n += " in " + x.Target
			if x.Line > 0 {
				n += ":" + strconv.Itoa(x.Line)
			}
		}
		names = append(names, n)
	}
	return fmt.Sprintf("%d %s found: %s", len(s), plural(len(s), "secret", "secrets"), listMore(names, len(s)))
}

// vulnerabilityRule flags images with vulnerabilities of severity sev or
// above whose CVSS assessment match accepts; filter describes match in
// messages ("attack vector network"), empty for none.
func vulnerabilityRule(match func(*scanresult.CVSS) bool, filter, sev string) Check {
	rank := minRank(sev)
	what := "at or above " + sev
	if sev == "any" {
		what = "of any severity"
	}
	if filter != "" {
		what = "with " + filter + " " + what
	}
	return scanCheck(func(im *scanresult.Image) string {
		var worst []*scanresult.Vulnerability
		n := 0
		for i := range im.Vulnerabilities {
			v := &im.Vulnerabilities[i]
			if v.Severity.Rank() < rank || !match(v.CVSS) {
				continue
			}
			n++
			worst = keepWorst(worst, v)
		}
		if n == 0 {
			return ""
		}
		ids := make([]string, len(worst))
		for i, v := range worst {
			ids[i] = v.ID + " (" + strings.ToLower(string(v.Severity))
			if v.CVSS != nil && v.CVSS.BaseScore > 0 {
				ids[i] += " " + strconv.FormatFloat(v.CVSS.BaseScore, 'f', 1, 64)
			}
			ids[i] += ")"
		}
		return fmt.Sprintf("%d %s %s: %s", n, plural(n, "vulnerability", "vulnerabilities"), what, listMore(ids, n))
	})
}

// keepWorst inserts v into worst, the shownFindings worst vulnerabilities
// so far, most severe first: by severity, then CVSS base score, then ID.
func keepWorst(worst []*scanresult.Vulnerability, v *scanresult.Vulnerability) []*scanresult.Vulnerability {
	i, _ := slices.BinarySearchFunc(worst, v, compareWorst)
	if i >= shownFindings {
		return worst
	}
	worst = slices.Insert(worst, i, v)
	if len(worst) > shownFindings {
		worst = worst[:shownFindings]
	}
	return worst
}

func compareWorst(a, b *scanresult.Vulnerability) int {
	if c := b.Severity.Rank() - a.Severity.Rank(); c != 0 {
		return c
	}
	if c := cmp.Compare(score(b), score(a)); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func score(v *scanresult.Vulnerability) float64 {
	if v.CVSS == nil {
		return 0
	}
	return v.CVSS.BaseScore
}

// listMore joins the shown names and counts the rest: "a, b, c and 4 more".
func listMore(shown []string, total int) string {
	s := strings.Join(shown, ", ")
	if rest := total - len(shown); rest > 0 {
		s += " and " + strconv.Itoa(rest) + " more"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Digests tells which digest an image's tag points at now, so that the
// scan-result rules judge the scan of what the node will pull rather than
// of whatever the tag named when it was scanned. *signature.Verifier
// implements it (with its caches and the pod's imagePullSecrets).
type Digests interface {
	// Digest returns the digest req's image names now; the error says
	// why the registry could not tell.
	Digest(ctx context.Context, req trust.Request) (string, error)
}

// resolved is a tag's digest as Digests answered it, once per evaluation.
type resolved struct {
	digest string
	err    error
}

// lookup finds the scan results of c's image. Without scan results nothing
// is known: every image is unscanned. With Digests, an image named by a tag
// only is matched by the digest the tag points at now: a scan of the digest
// the tag named before does not count. err is set when the registry could
// not tell that digest; found is then false.
func (in *Input) lookup(c *workload.Container) (im *scanresult.Image, found bool, err error) {
	if in.ScanResults == nil || c.Image.Err != nil {
		return nil, false, nil
	}
	digest, err := in.digest(c)
	if err != nil {
		return nil, false, err
	}
	im, found = in.ScanResults.LookupRef(c.Image, digest)
	return im, found, nil
}

// digest is the digest c's image runs when Digests can tell ("" without
// Digests or when the reference pins one). The first call for a rule
// resolves its containers' distinct tags at once: a cold pod waits for its
// slowest registry, not for the sum of them.
func (in *Input) digest(c *workload.Container) (string, error) {
	if in.Digests == nil || c.Image.Digest != "" {
		return "", nil
	}
	if r, ok := in.resolved[c.Image.Raw]; ok {
		return r.digest, r.err
	}
	if in.resolved == nil {
		in.resolved = map[string]resolved{}
	}
	ctx, secrets := in.registryRequest()
	var todo []image.Ref
	for _, o := range in.Containers {
		if _, done := in.resolved[o.Image.Raw]; !done && o.Image.Err == nil && o.Image.Digest == "" &&
			!slices.ContainsFunc(todo, func(r image.Ref) bool { return r.Raw == o.Image.Raw }) {
			todo = append(todo, o.Image)
		}
	}
	if !slices.ContainsFunc(todo, func(r image.Ref) bool { return r.Raw == c.Image.Raw }) {
		todo = append(todo, c.Image)
	}
	answers := make([]resolved, len(todo))
	var wg sync.WaitGroup
	for i, r := range todo {
		wg.Go(func() {
			d, err := in.Digests.Digest(ctx, trust.Request{Image: r, Namespace: in.Namespace, PullSecrets: secrets})
			answers[i] = resolved{d, err}
		})
	}
	wg.Wait()
	for i, r := range todo {
		in.resolved[r.Raw] = answers[i]
	}
	r := in.resolved[c.Image.Raw]
	return r.digest, r.err
}

// now is the evaluation time.
func (in *Input) now() time.Time {
	if in.Now.IsZero() {
		return time.Now()
	}
	return in.Now
}
