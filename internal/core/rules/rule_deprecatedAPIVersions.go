package rules

import (
	"fmt"
	"regexp"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Reads: the object's apiVersion and kind, nothing else, so it also runs
// on objects whose apiVersion Palisade does not read (Rule.AnyAPIVersion).
// Refused: an apiVersion and kind that Kubernetes no longer serves as of
// kubernetesVersion and, with includeDeprecated, one deprecated by then.

// kubernetesMinor is the Kubernetes minor version of the k8s.io/api module
// Palisade is built with (v0.37 is Kubernetes 1.37); a test keeps it in
// step with go.mod.
const kubernetesMinor = 37

// deprecatedAPI is one apiVersion and kind of Kubernetes's own groups that
// was deprecated and then removed, from Kubernetes's deprecated API
// migration guide.
type deprecatedAPI struct {
	deprecated, removed int // minor versions of Kubernetes 1.x
	// replacement is the apiVersion to use instead; "" when the kind is
	// gone (PodSecurityPolicy).
	replacement string
}

// deprecatedAPIs is keyed by apiVersion, then kind.
var deprecatedAPIs = map[string]map[string]deprecatedAPI{
	// Removed in 1.16.
	"extensions/v1beta1": {
		"Deployment": {9, 16, "apps/v1"}, "DaemonSet": {9, 16, "apps/v1"}, "ReplicaSet": {9, 16, "apps/v1"},
		"NetworkPolicy": {9, 16, "networking.k8s.io/v1"}, "PodSecurityPolicy": {10, 16, ""},
		"Ingress": {14, 22, "networking.k8s.io/v1"},
	},
	"apps/v1beta1": {"Deployment": {9, 16, "apps/v1"}, "StatefulSet": {9, 16, "apps/v1"}, "ReplicaSet": {9, 16, "apps/v1"}},
	"apps/v1beta2": {
		"Deployment": {9, 16, "apps/v1"}, "StatefulSet": {9, 16, "apps/v1"}, "ReplicaSet": {9, 16, "apps/v1"},
		"DaemonSet": {9, 16, "apps/v1"},
	},
	// Removed in 1.22.
	"admissionregistration.k8s.io/v1beta1": {
		"MutatingWebhookConfiguration":   {16, 22, "admissionregistration.k8s.io/v1"},
		"ValidatingWebhookConfiguration": {16, 22, "admissionregistration.k8s.io/v1"},
	},
	"apiextensions.k8s.io/v1beta1":   {"CustomResourceDefinition": {16, 22, "apiextensions.k8s.io/v1"}},
	"apiregistration.k8s.io/v1beta1": {"APIService": {19, 22, "apiregistration.k8s.io/v1"}},
	"authentication.k8s.io/v1beta1":  {"TokenReview": {19, 22, "authentication.k8s.io/v1"}},
	"authorization.k8s.io/v1beta1": {
		"SubjectAccessReview": {19, 22, "authorization.k8s.io/v1"}, "LocalSubjectAccessReview": {19, 22, "authorization.k8s.io/v1"},
		"SelfSubjectAccessReview": {19, 22, "authorization.k8s.io/v1"},
	},
	"certificates.k8s.io/v1beta1": {"CertificateSigningRequest": {19, 22, "certificates.k8s.io/v1"}},
	"coordination.k8s.io/v1beta1": {"Lease": {19, 22, "coordination.k8s.io/v1"}},
	"networking.k8s.io/v1beta1": {
		"Ingress": {19, 22, "networking.k8s.io/v1"}, "IngressClass": {19, 22, "networking.k8s.io/v1"},
	},
	"rbac.authorization.k8s.io/v1beta1": {
		"ClusterRole": {17, 22, "rbac.authorization.k8s.io/v1"}, "ClusterRoleBinding": {17, 22, "rbac.authorization.k8s.io/v1"},
		"Role": {17, 22, "rbac.authorization.k8s.io/v1"}, "RoleBinding": {17, 22, "rbac.authorization.k8s.io/v1"},
	},
	"scheduling.k8s.io/v1beta1": {"PriorityClass": {14, 22, "scheduling.k8s.io/v1"}},
	"storage.k8s.io/v1beta1": {
		"CSIDriver": {19, 22, "storage.k8s.io/v1"}, "CSINode": {17, 22, "storage.k8s.io/v1"},
		"StorageClass": {19, 22, "storage.k8s.io/v1"}, "VolumeAttachment": {19, 22, "storage.k8s.io/v1"},
		"CSIStorageCapacity": {24, 27, "storage.k8s.io/v1"},
	},
	// Removed in 1.25.
	"batch/v1beta1":            {"CronJob": {21, 25, "batch/v1"}},
	"discovery.k8s.io/v1beta1": {"EndpointSlice": {21, 25, "discovery.k8s.io/v1"}},
	"events.k8s.io/v1beta1":    {"Event": {19, 25, "events.k8s.io/v1"}},
	"autoscaling/v2beta1":      {"HorizontalPodAutoscaler": {22, 25, "autoscaling/v2"}},
	"policy/v1beta1":           {"PodDisruptionBudget": {21, 25, "policy/v1"}, "PodSecurityPolicy": {21, 25, ""}},
	"node.k8s.io/v1beta1":      {"RuntimeClass": {22, 25, "node.k8s.io/v1"}},
	// Removed in 1.26.
	"autoscaling/v2beta2": {"HorizontalPodAutoscaler": {23, 26, "autoscaling/v2"}},
	// FlowSchema and PriorityLevelConfiguration: removed in 1.26, 1.29, 1.32.
	"flowcontrol.apiserver.k8s.io/v1beta1": {
		"FlowSchema": {23, 26, "flowcontrol.apiserver.k8s.io/v1"}, "PriorityLevelConfiguration": {23, 26, "flowcontrol.apiserver.k8s.io/v1"},
	},
	"flowcontrol.apiserver.k8s.io/v1beta2": {
		"FlowSchema": {26, 29, "flowcontrol.apiserver.k8s.io/v1"}, "PriorityLevelConfiguration": {26, 29, "flowcontrol.apiserver.k8s.io/v1"},
	},
	"flowcontrol.apiserver.k8s.io/v1beta3": {
		"FlowSchema": {29, 32, "flowcontrol.apiserver.k8s.io/v1"}, "PriorityLevelConfiguration": {29, 32, "flowcontrol.apiserver.k8s.io/v1"},
	},
}

// DeprecatedAPIVersionsParams configures deprecatedAPIVersions.
type DeprecatedAPIVersionsParams struct {
	KubernetesVersion string `json:"kubernetesVersion" doc:"the Kubernetes version objects must be valid for, \"1.N\" (\"v1.N\" and a patch number are accepted); the default is the version Palisade's Kubernetes API module is from"`
	IncludeDeprecated bool   `json:"includeDeprecated" doc:"also flag an apiVersion that is deprecated, but still served, in that version"`
}

var kubernetesVersionRE = regexp.MustCompile(`^v?1\.(0|[1-9][0-9]{0,2})(\.[0-9]+)?$`)

// minor is the minor version of KubernetesVersion, which Validate checked.
func (p *DeprecatedAPIVersionsParams) minor() int {
	m := kubernetesVersionRE.FindStringSubmatch(p.KubernetesVersion)
	n, _ := strconv.Atoi(m[1])
	return n
}

// Validate implements the properties check.
func (p *DeprecatedAPIVersionsParams) Validate(path *field.Path) field.ErrorList {
	if !kubernetesVersionRE.MatchString(p.KubernetesVersion) {
		return field.ErrorList{field.Invalid(path.Child("kubernetesVersion"), p.KubernetesVersion, `must be a Kubernetes version such as "1.29"`)}
	}
	return nil
}

func init() {
	register(&Rule{
		ID:    "deprecatedAPIVersions",
		Title: "Kubernetes API version removed or deprecated",
		Description: "Flags an object whose apiVersion and kind Kubernetes stopped serving in or before kubernetesVersion " +
			"(extensions/v1beta1 Ingress in 1.22, batch/v1beta1 CronJob and policy/v1beta1 PodSecurityPolicy in 1.25, autoscaling/v2beta2 HorizontalPodAutoscaler in 1.26, " +
			"flowcontrol.apiserver.k8s.io/v1beta3 in 1.32, and the rest of Kubernetes's deprecated API migration guide) and, with includeDeprecated, one deprecated by then, " +
			"naming the apiVersion to use instead, as Gatekeeper's verifydeprecatedapi template and Kyverno's check-deprecated-apis policy do. " +
			"Such a manifest fails to apply on an upgraded cluster. " +
			"Unlike the template, whose constraints list the removed versions by hand, the list is built in; " +
			"unlike the Kyverno policy, which flags every version scheduled for removal, the version to check against is a property. " +
			"It judges objects that the other rules cannot read (an apiVersion Palisade does not decode), which scan still reports as not evaluated by those.",
		Sources: []Source{
			{productGatekeeper, "verifydeprecatedapi (K8sVerifyDeprecatedAPI)"},
			{productKyverno, "best-practices/check-deprecated-apis"},
		},
		Severity: Medium, Tabs: deploymentOnly, Targets: TargetAny, AnyAPIVersion: true,
		Params: func() any {
			return &DeprecatedAPIVersionsParams{KubernetesVersion: fmt.Sprintf("1.%d", kubernetesMinor)}
		},
		New: func(p any) (Check, error) {
			dp := p.(*DeprecatedAPIVersionsParams)
			minor, includeDeprecated := dp.minor(), dp.IncludeDeprecated
			return func(in *Input) []Finding {
				d, ok := deprecatedAPIs[in.Object.APIVersion][in.Object.Kind]
				var state string
				switch {
				case !ok:
					return nil
				case d.removed <= minor:
					state = fmt.Sprintf("removed in Kubernetes 1.%d", d.removed)
				case includeDeprecated && d.deprecated <= minor:
					state = fmt.Sprintf("deprecated since Kubernetes 1.%d and removed in 1.%d", d.deprecated, d.removed)
				default:
					return nil
				}
				f := Finding{Where: "object", Value: in.Object.APIVersion + " " + in.Object.Kind, Field: "apiVersion"}
				if d.replacement != "" {
					f.Detail = state + ": use " + d.replacement
				} else {
					f.Detail = state + " with no replacement"
				}
				return []Finding{f}
			}, nil
		},
	})
}
