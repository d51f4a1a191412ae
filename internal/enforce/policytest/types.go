package policytest

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// KindTest is the kind of a test document; its apiVersion is
// policy.APIVersion.
const KindTest = "Test"

// DefaultFileName is the name `palisade test` looks for in folders.
const DefaultFileName = "palisade-test.yaml"

// Test is the palisade.dev/v1 Test document.
type Test struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ObjectMeta `json:"metadata"`
	Spec            Spec              `json:"spec"`

	// doc is the document the test was read from: paths resolve against
	// its folder and problems found while running get its lines.
	doc *document.Doc
}

// Source is the file the test was read from.
func (t *Test) Source() string { return t.doc.Source }

// Spec is the body of a Test. Paths are relative to the test file.
type Spec struct {
	Description string `json:"description,omitempty"`
	// Policies are policy files; every Policy document in them is tested.
	Policies []string `json:"policies,omitempty"`
	// Presets are built-in presets tested as policies of the same name.
	Presets []string `json:"presets,omitempty"`
	// Resources are manifest files (multi-document YAML, JSON, Lists).
	Resources []string `json:"resources"`
	// ScanResults are image scan reports (files or folders) for the
	// scan-result rules; without them every image is unscanned.
	ScanResults []string `json:"scanResults,omitempty"`
	// Namespace is given to namespaced objects that carry none
	// (default "default", as `palisade scan`).
	Namespace string `json:"namespace,omitempty"`
	// Tab is the tab evaluated: deployment (the default) or continuous.
	Tab policy.Tab `json:"tab,omitempty"`
	// Results are the expectations.
	Results []Expectation `json:"results"`
}

// Expectation is what one rule, or the decision, should be on each of the
// named resources.
type Expectation struct {
	// Policy names the policy (metadata.name, or the preset's name);
	// required when the test has more than one.
	Policy string `json:"policy,omitempty"`
	// Resources are "KIND/NAME" or "KIND/NAMESPACE/NAME".
	Resources []string `json:"resources"`
	// Rule is a rule ID enabled in the tab; with Result.
	Rule   string  `json:"rule,omitempty"`
	Result Outcome `json:"result,omitempty"`
	// Action, with result fail: a finding of the rule has this action.
	Action policy.Action `json:"action,omitempty"`
	// Message, with result fail: a finding's message contains it.
	Message string `json:"message,omitempty"`
	// Decision, instead of a rule: what the tab does with the object.
	Decision Decision `json:"decision,omitempty"`
}

// Outcome is what a rule did on an object.
type Outcome string

// Outcomes, as kyverno test names them.
const (
	// Pass: the rule was checked and found nothing.
	Pass Outcome = "pass"
	// Fail: the rule found at least one violation.
	Fail Outcome = "fail"
	// Skip: the rule is in the tab but was not checked on the object (it
	// targets other kinds, the namespace is excluded, it reads only
	// containers and every container is excluded or excepted, or the
	// namespace is a system one).
	Skip Outcome = "skip"
)

// Decision is what a tab does with an object: allow (no finding, or only
// log findings), or its strongest enforcing action (block on the
// deployment tab; isolate or terminate on the continuous tab).
type Decision string

// DecisionAllow is the decision when no finding enforces.
const DecisionAllow Decision = "allow"

// decisionsFor lists the decisions tab t can take.
func decisionsFor(t policy.Tab) []string {
	out := []string{string(DecisionAllow)}
	for _, a := range policy.ActionsFor(t) {
		if a != policy.ActionLog {
			out = append(out, string(a))
		}
	}
	return out
}
