package policy

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// APIVersion and kinds of Palisade's own documents.
const (
	APIVersion         = "palisade.dev/v1"
	KindPolicy         = "Policy"
	KindRuntimeRuleset = "RuntimeRuleset"
)

// Tab is one of the three moments a policy enforces at.
type Tab string

// The three tabs.
const (
	TabDeployment Tab = "deployment"
	TabContinuous Tab = "continuous"
	TabRuntime    Tab = "runtime"
)

// Action is what happens when a rule is violated.
type Action string

// Actions, by tab: deployment takes log or block; continuous and runtime
// take log, isolate or terminate.
const (
	ActionLog       Action = "log"
	ActionBlock     Action = "block"
	ActionIsolate   Action = "isolate"
	ActionTerminate Action = "terminate"
)

// ActionsFor lists the actions a tab accepts, in the order they are shown.
func ActionsFor(t Tab) []Action {
	if t == TabDeployment {
		return []Action{ActionLog, ActionBlock}
	}
	return []Action{ActionLog, ActionIsolate, ActionTerminate}
}

// Strength orders the containing actions: when several apply to one pod,
// the strongest is carried out (terminate > isolate > log; 0 for others).
func (a Action) Strength() int {
	switch a {
	case ActionTerminate:
		return 3
	case ActionIsolate:
		return 2
	case ActionLog:
		return 1
	}
	return 0
}

// SystemNamespaces are excluded from every rule unless a namespace
// definition lists them explicitly.
var SystemNamespaces = []string{"kube-system", "palisade-system"}

// Policy is the palisade.dev/v1 Policy document.
type Policy struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ObjectMeta `json:"metadata"`
	Spec            Spec              `json:"spec"`
}

// Spec is the body of a Policy.
type Spec struct {
	Description string `json:"description,omitempty"`
	// ClusterWide applies to every namespace no namespace definition names.
	ClusterWide Definition `json:"clusterWide"`
	// Namespaced definitions replace ClusterWide for their namespaces.
	Namespaced []NamespacedDefinition `json:"namespaced,omitempty"`
}

// Definition holds the three tabs.
type Definition struct {
	Deployment *RuleTab    `json:"deployment,omitempty"`
	Continuous *RuleTab    `json:"continuous,omitempty"`
	Runtime    *RuntimeTab `json:"runtime,omitempty"`
	// Segmentation keeps a managed default-deny-ingress NetworkPolicy in
	// every namespace the definition governs (containment: segmented at
	// birth).
	Segmentation *Segmentation `json:"segmentation,omitempty"`
}

// Segmentation is the "segmented at birth" option of a definition: the
// agent keeps, in every namespace the definition governs, including ones
// created later, a NetworkPolicy named SegmentationPolicyName that denies
// ingress to every pod except from pods of the same namespace and of the
// namespaces listed.
type Segmentation struct {
	Enabled bool `json:"enabled"`
	// AllowFromNamespaces are namespaces whose pods may still reach every
	// pod (an ingress controller's, monitoring's).
	AllowFromNamespaces []string `json:"allowFromNamespaces,omitempty"`
}

// SegmentationPolicyName is the NetworkPolicy the agent keeps for
// Segmentation.
const SegmentationPolicyName = "palisade-segmentation"

// NamespacedDefinition is a Definition for the namespaces it lists.
type NamespacedDefinition struct {
	Name       string   `json:"name"`
	Namespaces []string `json:"namespaces"`
	Definition `json:",inline"`
}

// RuleTab is the deployment or continuous tab: rules and exceptions.
type RuleTab struct {
	Rules      []Rule      `json:"rules,omitempty"`
	Exceptions []Exception `json:"exceptions,omitempty"`
}

// Rule enables one catalog rule with an action.
type Rule struct {
	Rule   string `json:"rule"`
	Action Action `json:"action"`
	// Properties are the rule's typed parameters; omitted ones take the
	// catalog's defaults.
	Properties json.RawMessage `json:"properties,omitempty"`
	// ExcludedNamespaces are namespaces the rule does not apply to.
	ExcludedNamespaces []string `json:"excludedNamespaces,omitempty"`
	// ExcludedImages are images the rule does not apply to: exact
	// references or prefixes ending in "*". They exempt a container's own
	// fields, never the pod's (hostNetwork, volumes, ...).
	ExcludedImages []string `json:"excludedImages,omitempty"`
}

// Exception allows the containers whose image matches, overriding every
// rule of the tab for their own fields; the pod's fields are still checked.
type Exception struct {
	// Type is imageRegistry, imageName, imageTag or imagePath.
	Type       string        `json:"type"`
	Properties ImageCriteria `json:"properties"`
	// Namespaces limits the exception to these namespaces; empty means all.
	Namespaces []string `json:"namespaces,omitempty"`
}

// ImageCriteria is an operator and the values it compares with.
type ImageCriteria struct {
	Operator string   `json:"operator"`
	Values   []string `json:"values"`
}

// RuntimeTab binds runtime rulesets to actions.
type RuntimeTab struct {
	Rulesets []RulesetBinding `json:"rulesets,omitempty"`
}

// RulesetBinding applies a named RuntimeRuleset to the pods its selector
// matches, with an action.
type RulesetBinding struct {
	Ruleset  string                `json:"ruleset"`
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	Action   Action                `json:"action"`
}

// RuntimeRuleset is the palisade.dev/v1 RuntimeRuleset document.
type RuntimeRuleset struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ObjectMeta  `json:"metadata"`
	Spec            RuntimeRulesetSpec `json:"spec"`
}

// RuntimeRulesetSpec holds Falco rules-file items and Falco alert names.
type RuntimeRulesetSpec struct {
	// FalcoRules are Falco rules-file items (rule, macro, list), kept as
	// written; the runtime rule language parses them.
	FalcoRules []json.RawMessage `json:"falcoRules,omitempty"`
	// FalcoAlerts are names of rules a Falco sensor evaluates.
	FalcoAlerts []string `json:"falcoAlerts,omitempty"`
}
