package rules

import (
	"context"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// Severity ranks how much a violation matters.
type Severity string

// Severities, lowest first.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Target says which objects a rule reads.
type Target uint

// Targets a rule may declare (combined with |).
const (
	// TargetPod: objects that carry a pod template.
	TargetPod Target = 1 << iota
	// TargetService: Services.
	TargetService
	// TargetIngress: Ingresses.
	TargetIngress
	// TargetServiceAccount: ServiceAccounts.
	TargetServiceAccount
	// TargetRBAC: Roles, ClusterRoles and their bindings.
	TargetRBAC
	// TargetConnect: kubectl exec, attach and port-forward requests.
	TargetConnect
	// TargetAny: every object.
	TargetAny
	// TargetPersistentVolumeClaim: PersistentVolumeClaims.
	TargetPersistentVolumeClaim
	// TargetHorizontalPodAutoscaler: HorizontalPodAutoscalers.
	TargetHorizontalPodAutoscaler
	// TargetPodDisruptionBudget: PodDisruptionBudgets.
	TargetPodDisruptionBudget
)

// Rule is one entry of the catalog.
type Rule struct {
	// ID is stable: policies name rules by it.
	ID string
	// Title is a one-line summary ("Privileged container").
	Title string
	// Description says what is flagged and why it matters.
	Description string
	// Sources are the products and controls the rule comes from, at
	// least one; `palisade rules` shows them.
	Sources  []Source
	Severity Severity
	// Tabs the rule may be enabled in.
	Tabs    []policy.Tab
	Targets Target
	// Params returns a new properties struct holding the defaults; nil when
	// the rule takes no properties. Its fields carry json and doc tags.
	Params func() any
	// New builds the check from decoded, validated properties (nil when
	// the rule takes none).
	New func(params any) (Check, error)
	// ScanResults is set on the rules that read Input.ScanResults;
	// NetworkPolicies on those that read Input.NetworkPolicies;
	// Signatures on those that read Input.Signatures.
	ScanResults, NetworkPolicies, Signatures bool
	// Inventory names the kinds of other objects the rule reads through
	// Input.Inventory (uniqueIngressHosts, uniqueServiceSelectors,
	// podDisruptionBudget); zero for the rules that read none.
	Inventory InventoryKinds
	// ContainersOnly is set on the rules that read nothing of a pod but
	// its containers (and pod fields only as a container's effective
	// value): such a rule is not checked on a pod whose every container
	// is exempt. Every other rule is, since excludedImages and exceptions
	// exempt a container's own fields, never pod-level ones (hostNetwork,
	// hostPID, volumes, the pod's securityContext), as Gatekeeper's
	// exemptImages do.
	ContainersOnly bool
	// AnyAPIVersion is set on the rules that judge an object by its
	// apiVersion and kind alone (deprecatedAPIVersions): they also run on
	// objects whose apiVersion Palisade does not read (workload.Object's
	// Unknown), on which every other rule is skipped, and which scan
	// reports as not evaluated.
	AnyAPIVersion bool
	// OldObject is set on the rules that read Input.OldObject (the object
	// an UPDATE replaces), so that admission decodes it only for them.
	OldObject bool
	// CoarseFindings is set on rules whose findings do not name what
	// offends (cel: a finding is the rule's message), so that two
	// evaluations cannot tell a kept violation from a worse one. Admission
	// grandfathers such a finding on UPDATE only when the object's content
	// (all but metadata and status) is unchanged.
	CoarseFindings bool
}

// Check evaluates one object.
type Check func(in *Input) []Finding

// Input is what a check reads.
type Input struct {
	Object *workload.Object
	// Namespace is the object's effective namespace ("" when cluster-scoped).
	Namespace string
	// Containers are the pod's containers this rule applies to, after
	// excludedImages and exceptions (possibly none); nil when the object
	// has no pod. Pod-level fields are checked whatever is exempt.
	Containers []*workload.Container
	// Connect describes a kubectl exec, attach or port-forward request.
	Connect *Connect
	// ScanResults finds what scanners recorded about the containers'
	// images; nil when none were given (every image is then unscanned).
	ScanResults ScanResults
	// Now is the evaluation time scan ages are measured at; zero means the
	// current time.
	Now time.Time
	// Roles finds the Roles and ClusterRoles RBAC bindings reference; nil
	// when none are known (a binding's role is then unknown).
	Roles RBACRoles
	// NetworkPolicies finds the NetworkPolicies of a namespace; nil when
	// they are not known (at admission and in offline scans).
	NetworkPolicies NetworkPolicies
	// Inventory finds the other objects the referential rules compare an
	// object with: the whole input in a scan, the agent's informer caches
	// at admission; nil when they are not known (those rules then find
	// nothing).
	Inventory Inventory
	// Signatures verifies image signatures (nil: no registry access; every
	// image is then unverified).
	Signatures Signatures
	// Digests resolves tags to the digests they name now, for the
	// scan-result rules (nil: no registry access; a scan recorded for a
	// tag then counts for it, as in offline scans).
	Digests Digests
	// Context bounds the network work of a check (registry lookups) to
	// the caller's budget; nil means no bound beyond the verifier's own.
	Context context.Context
	// PinDigest, when set, receives the digest each verified container
	// image should be pinned to (imagesNotSigned with mutateToDigest).
	PinDigest func(c *workload.Container, digest string)
	// OldObject is the object an admission UPDATE replaces; nil for a
	// CREATE, and in scan and continuous evaluation, which see one
	// version of an object only.
	OldObject *workload.Object
	// UserInfo is who sent the admission request; nil outside admission.
	UserInfo *UserInfo

	// resolved holds the tags Digests resolved in this evaluation.
	resolved map[string]resolved
}

// NetworkPolicies finds the NetworkPolicies of a namespace.
type NetworkPolicies interface {
	NetworkPolicies(namespace string) ([]*networkingv1.NetworkPolicy, error)
}

// RBACRoles finds the roles that RBAC bindings reference: from the input
// being scanned, or from the cluster.
type RBACRoles interface {
	// ClusterRole returns the named ClusterRole, its aggregated rules
	// included (an aggregated ClusterRole's rules are those of the
	// ClusterRoles its aggregationRule selects).
	ClusterRole(name string) (*rbacv1.ClusterRole, bool)
	// Role returns the named Role of a namespace.
	Role(namespace, name string) (*rbacv1.Role, bool)
}

// UserInfo is the user an admission request comes from, as the API server
// authenticated it.
type UserInfo struct {
	Username string
	Groups   []string
}

// Connect is a CONNECT admission request on a pod subresource.
type Connect struct {
	// Subresource is "exec", "attach" or "portforward".
	Subresource string
	Pod         string
	Container   string
	Command     []string
	Ports       []int32
}

// Finding is one violation as a rule reports it; the engine adds the rule
// ID, the action and the message.
type Finding struct {
	// Where names the part of the object, as the seed's messages do:
	// "containerSecurityContext", "podSecurityContext", "container",
	// "image", "pod", "service", "ingress", "serviceAccount", "object",
	// "role", "clusterRole", "roleBinding", "clusterRoleBinding",
	// "persistentVolumeClaim", "volumeClaimTemplate",
	// "horizontalPodAutoscaler", "podDisruptionBudget".
	Where string
	// Value is the offending value, shown in quotes.
	Value string
	// Container is the container's name for per-container findings.
	Container string
	// Field is the offending field's path in the object.
	Field string
	// Detail optionally explains the finding.
	Detail string
}

// Pod returns the object's pod template, or nil.
func (in *Input) Pod() *workload.PodTemplate { return in.Object.Pod }

// ContainerFinding is a per-container finding at field sub of c ("" for
// the container itself).
func ContainerFinding(where string, c *workload.Container, sub, value string) Finding {
	return Finding{Where: where, Value: value, Container: c.C.Name, Field: containerField(c, sub)}
}

// PodFinding is a pod-level finding at field sub of the pod spec.
func PodFinding(in *Input, where, sub, value string) Finding {
	return Finding{Where: where, Value: value, Field: podField(in, sub)}
}

// containerField is the path of field sub of container c ("" for the
// container itself).
func containerField(c *workload.Container, sub string) string {
	if sub == "" {
		return c.Path
	}
	return c.Path + "." + sub
}

// podField is the path of field sub of the pod spec.
func podField(in *Input, sub string) string { return in.Pod().SpecPath + "." + sub }
