package policyreport

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// DefaultMaxResults caps the results of one report. A result is a few
// hundred bytes, so a full report stays far below etcd's 1.5 MiB object
// limit; the summary still counts every check.
const DefaultMaxResults = 1000

// maxMessage caps one result's message, in bytes.
const maxMessage = 1024

// Options configure a Builder.
type Options struct {
	// Policy is the Palisade policy's name, every result's "policy".
	Policy string
	// Tab is the tab the results come from (a result property).
	Tab policy.Tab
	// MaxResults caps each report's results; 0 means DefaultMaxResults.
	// The most severe are kept.
	MaxResults int
	// Now is every result's timestamp; zero means the time NewBuilder runs.
	Now time.Time
}

// Evaluation is one object's outcome: its evaluation, or the error that
// kept it from being evaluated.
type Evaluation struct {
	Resource ObjectReference
	Result   *engine.Result
	Err      error
}

// Build returns one report per namespace for evals, sorted by namespace.
func Build(opts Options, evals []Evaluation) []PolicyReport {
	b := NewBuilder(opts)
	for _, e := range evals {
		if e.Err != nil {
			b.AddError(e.Resource, e.Err)
		} else {
			b.Add(e.Resource, e.Result)
		}
	}
	return b.Reports()
}

// Builder collects evaluations one at a time, holding the counts and at
// most twice MaxResults results per namespace. It is not safe for
// concurrent use.
type Builder struct {
	opts Options
	ts   Timestamp
	byNS map[string]*pending
}

type pending struct {
	summary Summary
	// produced counts the results made, kept or not.
	produced int
	results  []Result
}

// NewBuilder returns an empty builder.
func NewBuilder(opts Options) *Builder {
	if opts.MaxResults <= 0 {
		opts.MaxResults = DefaultMaxResults
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	return &Builder{opts: opts, ts: Timestamp{Seconds: opts.Now.Unix()}, byNS: map[string]*pending{}}
}

// ResourceOf names obj in a report.
func ResourceOf(obj *workload.Object) ObjectReference {
	return ObjectReference{
		APIVersion: obj.APIVersion, Kind: obj.Kind, Namespace: obj.Meta.Namespace,
		Name: obj.Meta.Name, UID: string(obj.Meta.UID),
	}
}

// Add records one object's evaluation: every rule checked without a
// finding is a pass; every rule with findings is a fail and one result,
// whatever the number of its findings (containers, fields).
//
// Objects the engine skipped (system namespaces), cluster-scoped objects
// (they would belong in a ClusterPolicyReport) and objects no rule was
// checked on leave no trace: a namespace gets a report only when something
// was checked in it. An object whose apiVersion Palisade does not read
// (engine.Result's NotEvaluated) gets a skip result saying so.
func (b *Builder) Add(ref ObjectReference, res *engine.Result) {
	ns := res.Namespace
	if ns == "" || res.Skipped != "" || (res.Checked == 0 && len(res.Findings) == 0 && res.NotEvaluated == "") {
		return
	}
	if ref.Namespace == "" {
		ref.Namespace = ns
	}
	p := b.pending(ns)
	if res.NotEvaluated != "" {
		// Only the rules that judge any apiVersion ran on it: one skip
		// result says the others did not, and why.
		p.summary.Skip++
		b.push(p, Result{
			Source: Source, Policy: b.opts.Policy, Timestamp: b.ts, Result: StatusSkip,
			Resources: []ObjectReference{ref}, Message: truncate("not evaluated: " + res.NotEvaluated),
			Properties: map[string]string{"tab": string(b.opts.Tab)},
		})
	}
	// A rule listed twice in a tab is checked twice; its findings are
	// consecutive runs, each one failed check.
	failed := 0
	var groups []findingGroup
	for i := range res.Findings {
		f := &res.Findings[i]
		if i == 0 || res.Findings[i-1].Rule != f.Rule {
			failed++
		}
		g := slices.IndexFunc(groups, func(g findingGroup) bool { return g.rule == f.Rule })
		if g < 0 {
			groups = append(groups, findingGroup{rule: f.Rule, severity: f.Severity, action: f.Action})
			g = len(groups) - 1
		}
		groups[g].add(f)
	}
	p.summary.Pass += max(0, res.Checked-failed)
	p.summary.Fail += len(groups)
	for _, g := range groups {
		b.push(p, Result{
			Source: Source, Policy: b.opts.Policy, Rule: g.rule, Severity: severity(g.severity),
			Timestamp: b.ts, Result: StatusFail, Scored: true, Resources: []ObjectReference{ref},
			Message:    truncate(g.message()),
			Properties: map[string]string{"action": string(g.action), "tab": string(b.opts.Tab)},
		})
	}
}

// AddError records an object that could not be evaluated: an error
// result, counted in the summary.
func (b *Builder) AddError(ref ObjectReference, err error) {
	if ref.Namespace == "" {
		return
	}
	p := b.pending(ref.Namespace)
	p.summary.Error++
	b.push(p, Result{
		Source: Source, Policy: b.opts.Policy, Timestamp: b.ts, Result: StatusError,
		Resources: []ObjectReference{ref}, Message: truncate(err.Error()),
		Properties: map[string]string{"tab": string(b.opts.Tab)},
	})
}

// Reports returns the reports, sorted by namespace, each with at most
// MaxResults results (errors first, then by severity, kind, name and
// rule) and the content hash the Publisher compares.
func (b *Builder) Reports() []PolicyReport {
	out := make([]PolicyReport, 0, len(b.byNS))
	for _, ns := range slices.Sorted(maps.Keys(b.byNS)) {
		p := b.byNS[ns]
		trim(p, b.opts.MaxResults)
		r := PolicyReport{
			TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
			ObjectMeta: metav1.ObjectMeta{
				Name: Name, Namespace: ns,
				Labels:      map[string]string{LabelManagedBy: managedBy},
				Annotations: map[string]string{AnnotationPolicy: b.opts.Policy, AnnotationTab: string(b.opts.Tab)},
			},
			Summary: p.summary,
			Results: p.results,
		}
		if omitted := p.produced - len(p.results); omitted > 0 {
			r.Annotations[AnnotationOmitted] = strconv.Itoa(omitted)
		}
		r.Annotations[AnnotationHash] = contentHash(&r)
		out = append(out, r)
	}
	return out
}

func (b *Builder) pending(ns string) *pending {
	p := b.byNS[ns]
	if p == nil {
		p = &pending{}
		b.byNS[ns] = p
	}
	return p
}

// push adds a result, trimming to the cap once twice the cap is held, so
// memory stays bounded however many results a namespace has.
func (b *Builder) push(p *pending, r Result) {
	p.produced++
	p.results = append(p.results, r)
	if len(p.results) >= 2*b.opts.MaxResults {
		trim(p, b.opts.MaxResults)
	}
}

func trim(p *pending, maxResults int) {
	slices.SortFunc(p.results, compareResults)
	if len(p.results) > maxResults {
		clear(p.results[maxResults:])
		p.results = p.results[:maxResults:maxResults]
	}
}

// compareResults orders what a reader should see first: errors (nothing
// was checked), then failures by severity, then by resource and rule.
func compareResults(a, b Result) int {
	return cmp.Or(
		cmp.Compare(statusRank(a.Result), statusRank(b.Result)),
		cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)),
		cmp.Compare(a.Resources[0].Kind, b.Resources[0].Kind),
		cmp.Compare(a.Resources[0].Name, b.Resources[0].Name),
		cmp.Compare(a.Rule, b.Rule),
	)
}

func statusRank(s Status) int {
	if s == StatusError {
		return 0
	}
	return 1
}

func severityRank(s Severity) int {
	switch s {
	case SeverityCritical:
		return 0
	case SeverityHigh:
		return 1
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 3
	}
	return 4
}

// severity maps the catalog's severity onto the CRD's; anything the CRD
// does not know is info.
func severity(s rules.Severity) Severity {
	switch s {
	case rules.Critical:
		return SeverityCritical
	case rules.High:
		return SeverityHigh
	case rules.Medium:
		return SeverityMedium
	case rules.Low:
		return SeverityLow
	}
	return SeverityInfo
}

// findingGroup is one rule's findings on one object.
type findingGroup struct {
	rule     string
	severity rules.Severity
	action   policy.Action
	findings []engine.Finding
}

func (g *findingGroup) add(f *engine.Finding) {
	if actionRank(f.Action) > actionRank(g.action) {
		g.action = f.Action
	}
	g.findings = append(g.findings, *f)
}

// message is the findings in the seed's shape, as admission words them:
// findings that differ only by container share a line naming every
// container; different findings are separate lines.
func (g *findingGroup) message() string {
	if len(g.findings) == 1 {
		return g.findings[0].Message()
	}
	sub := engine.Result{Findings: g.findings}
	var lines []string
	var done []policy.Action
	for _, f := range g.findings {
		if slices.Contains(done, f.Action) {
			continue
		}
		done = append(done, f.Action)
		for _, l := range sub.Lines(f.Action) {
			lines = append(lines, strings.TrimPrefix(l, "- "))
		}
	}
	return strings.Join(lines, "\n")
}

// actionRank orders actions by strength, for a rule listed twice in a tab
// with different actions.
func actionRank(a policy.Action) int {
	switch a {
	case policy.ActionTerminate:
		return 3
	case policy.ActionIsolate:
		return 2
	case policy.ActionBlock:
		return 1
	}
	return 0
}

// truncate cuts s to maxMessage bytes at a character boundary.
func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// contentHash digests what a report says, leaving out timestamps (every
// audit has new ones) and the hash itself.
func contentHash(r *PolicyReport) string {
	results := slices.Clone(r.Results)
	for i := range results {
		results[i].Timestamp = Timestamp{}
	}
	annotations := map[string]string{}
	for k, v := range r.Annotations {
		if k != AnnotationHash {
			annotations[k] = v
		}
	}
	b, _ := json.Marshal(struct {
		Annotations map[string]string
		Summary     Summary
		Results     []Result
	}{annotations, r.Summary, results})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
