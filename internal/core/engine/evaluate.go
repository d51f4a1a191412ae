package engine

import (
	"context"
	"slices"
	"time"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// Options are the per-call inputs besides the object.
type Options struct {
	// DefaultNamespace is used for namespaced objects that carry none
	// ("default" for scan, the request's namespace for admission).
	DefaultNamespace string
	// Connect is set for kubectl exec, attach and port-forward requests.
	Connect *rules.Connect
	// ScanResults is what the scan-result rules read (nil: no image has
	// been scanned).
	ScanResults rules.ScanResults
	// Now is when the evaluation happens, for scan ages (zero: the current
	// time).
	Now time.Time
	// Roles finds the roles RBAC bindings reference (nil: none known).
	Roles rules.RBACRoles
	// NetworkPolicies finds a namespace's NetworkPolicies (nil: not
	// known; networkPolicyCoverage then says nothing).
	NetworkPolicies rules.NetworkPolicies
	// Inventory finds the other objects the referential rules compare an
	// object with (nil: not known; those rules then find nothing).
	Inventory rules.Inventory
	// Signatures verifies image signatures (nil: no registry access).
	Signatures rules.Signatures
	// Digests resolves tags to their current digests for the scan-result
	// rules (nil: no registry access; scans recorded for a tag count).
	Digests rules.Digests
	// Context bounds network lookups (signature verification) to the
	// caller's budget (nil: none).
	Context context.Context
	// PinDigest receives the digests verified images are pinned to
	// (imagesNotSigned with mutateToDigest); nil when not mutating.
	PinDigest func(c *workload.Container, digest string)
	// OldObject is the object an admission UPDATE replaces, for the rules
	// that compare (serviceAccountUnchanged, cel's oldObject); nil
	// otherwise.
	OldObject *workload.Object
	// UserInfo is who sent an admission request; nil outside admission.
	UserInfo *rules.UserInfo
	// Checked, when set, is called with the ID of every rule checked on
	// the object (the rules Result.Checked counts), findings or not:
	// `palisade test` tells a rule that passed from one that did not apply.
	Checked func(rule string)
}

// Finding is one violation with its rule, action and message.
type Finding struct {
	Rule     string        `json:"rule"`
	Action   policy.Action `json:"action"`
	Severity rules.Severity
	// Coarse is the rule's CoarseFindings: the finding does not name what
	// offends.
	Coarse bool `json:"-"`
	rules.Finding
}

// Message is the finding in the seed's shape, without the leading "- ".
// It is formatted on demand: evaluation itself never builds strings for
// findings nobody reads.
func (f *Finding) Message() string { return Message(f.Rule, f.Action, f.Finding) }

// Result is the outcome of evaluating one object in one tab.
type Result struct {
	// Definition names the definition that governed ("clusterWide" or a
	// namespace definition's name); empty when the namespace is skipped.
	Definition string
	Namespace  string
	// Skipped explains why nothing was evaluated (a system namespace).
	Skipped string
	// NotEvaluated says why the rules that read an object's fields did not
	// run on it: its apiVersion or kind is not one Palisade reads
	// (workload.Object's Unknown). Only the rules that judge any
	// apiVersion (deprecatedAPIVersions) did; every report says so.
	NotEvaluated string
	Findings     []Finding
	// Blocked is true when a finding's action is block.
	Blocked bool
	// Checked counts the rules that were evaluated on the object: those of
	// the tab that target its kind, are not excluded for its namespace and,
	// for a rule that reads only containers, have a container left after
	// exceptions and excluded images. A rule
	// that was checked and found nothing passed (PolicyReport "pass").
	Checked int
}

// Evaluate runs every rule of tab t that applies to obj. On an object whose
// apiVersion Palisade does not read (obj.Unknown), only the rules that
// judge any apiVersion (rules.Rule's AnyAPIVersion) run: the others would
// see its metadata alone, and callers report it as not evaluated by them.
func (c *Compiled) Evaluate(obj *workload.Object, t policy.Tab, opts Options) Result {
	ns := ""
	if !workload.IsClusterScoped(obj.Kind) {
		ns = obj.Namespace(opts.DefaultNamespace)
	}
	def, explicit := c.clusterWide, false
	if d, ok := c.namespaced[ns]; ok && ns != "" {
		def, explicit = d, true
	}
	res := Result{Namespace: ns, NotEvaluated: obj.Unknown}
	if !explicit && policy.IsSystemNamespace(ns) {
		res.Skipped = "namespace " + ns + " is a system namespace (list it in a namespace definition to enforce there)"
		return res
	}
	res.Definition = def.name
	tb := def.tabs[t]
	if tb == nil {
		return res
	}
	var excepted []bool
	if obj.Pod != nil && len(tb.exceptions) > 0 {
		excepted = make([]bool, len(obj.Pod.Containers))
		for i := range obj.Pod.Containers {
			excepted[i] = tb.excepted(obj.Pod.Containers[i].Image, ns)
		}
	}
	in := rules.Input{Object: obj, Namespace: ns, Connect: opts.Connect, ScanResults: opts.ScanResults, Now: opts.Now, Roles: opts.Roles, NetworkPolicies: opts.NetworkPolicies,
		Inventory: opts.Inventory, Signatures: opts.Signatures, Digests: opts.Digests, Context: opts.Context, PinDigest: opts.PinDigest,
		OldObject: opts.OldObject, UserInfo: opts.UserInfo}
	var scratch []*workload.Container
	if obj.Pod != nil {
		scratch = make([]*workload.Container, 0, len(obj.Pod.Containers))
	}
	for _, cr := range tb.rulesFor(objectTargets(obj, opts.Connect)) {
		if slices.Contains(cr.excludedNS, ns) || (obj.Unknown != "" && !cr.rule.AnyAPIVersion) {
			continue
		}
		in.Containers = nil
		if obj.Pod != nil {
			scratch = scratch[:0]
			for i := range obj.Pod.Containers {
				ct := &obj.Pod.Containers[i]
				if (excepted != nil && excepted[i]) || imageExcluded(cr, ct) {
					continue
				}
				scratch = append(scratch, ct)
			}
			if len(scratch) == 0 && len(obj.Pod.Containers) > 0 && cr.rule.ContainersOnly {
				// Every container is excepted or excluded, and the rule
				// reads nothing else; a rule that reads pod-level fields
				// still checks them.
				continue
			}
			in.Containers = scratch
		}
		res.Checked++
		if opts.Checked != nil {
			opts.Checked(cr.rule.ID)
		}
		found := cr.check(&in)
		if len(found) > 0 && res.Findings == nil {
			res.Findings = make([]Finding, 0, max(len(found), len(tb.rules)))
		}
		for _, f := range found {
			res.Findings = append(res.Findings, Finding{Rule: cr.rule.ID, Action: cr.action, Severity: cr.rule.Severity, Coarse: cr.rule.CoarseFindings, Finding: f})
			if cr.action == policy.ActionBlock {
				res.Blocked = true
			}
		}
	}
	return res
}

func imageExcluded(cr *compiledRule, ct *workload.Container) bool {
	for _, p := range cr.excludedImages {
		if p.Match(ct.Image) {
			return true
		}
	}
	return false
}

// objectTargets is the set of targets obj meets: TargetConnect alone for
// a kubectl exec, attach or port-forward request; otherwise TargetAny and
// the target of what obj is.
func objectTargets(obj *workload.Object, connect *rules.Connect) rules.Target {
	if connect != nil {
		return rules.TargetConnect
	}
	t := rules.TargetAny
	if obj.Pod != nil {
		t |= rules.TargetPod
	}
	if obj.Service != nil {
		t |= rules.TargetService
	}
	if obj.Ingress != nil {
		t |= rules.TargetIngress
	}
	if obj.ServiceAccount != nil {
		t |= rules.TargetServiceAccount
	}
	if obj.PodDisruptionBudget != nil {
		t |= rules.TargetPodDisruptionBudget
	}
	if obj.Role != nil || obj.ClusterRole != nil || obj.RoleBinding != nil || obj.ClusterBinding != nil {
		t |= rules.TargetRBAC
	}
	if obj.PersistentVolumeClaim != nil {
		t |= rules.TargetPersistentVolumeClaim
	}
	if obj.HorizontalPodAutoscaler != nil {
		t |= rules.TargetHorizontalPodAutoscaler
	}
	return t
}
