package admission

import (
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// unchanged reports whether an UPDATE leaves every part of the object that
// rules read as it was, so that a violation it carries was already there:
// scaling a Deployment, adding a label to a Pod or removing a finalizer
// must not be refused because of a template admitted under an older
// policy. (A changed template is judged in full.)
//
// What counts as "read by rules": for workloads the pod template (labels,
// annotations and spec); for a bare Pod its spec (its labels and
// annotations are the object's own metadata, and Kubernetes forbids
// changing the AppArmor annotations the appArmor rule reads); for Services and Ingresses the spec; for
// ServiceAccounts the automount setting; for RBAC objects their rules,
// subjects and role reference; for anything else the whole object except
// metadata and status.
func unchanged(req *admissionv1.AdmissionRequest, obj *workload.Object) bool {
	if len(req.OldObject.Raw) == 0 {
		return false
	}
	old, err := workload.Decode(req.OldObject.Raw)
	if err != nil || old.Kind != obj.Kind {
		return false
	}
	switch {
	case obj.Kind == "Pod" && obj.Pod != nil:
		return old.Pod != nil && equality.Semantic.DeepEqual(old.Pod.Spec, obj.Pod.Spec)
	case obj.Pod != nil:
		return old.Pod != nil &&
			equality.Semantic.DeepEqual(old.Pod.Spec, obj.Pod.Spec) &&
			equality.Semantic.DeepEqual(old.Pod.Meta.Labels, obj.Pod.Meta.Labels) &&
			equality.Semantic.DeepEqual(old.Pod.Meta.Annotations, obj.Pod.Meta.Annotations)
	case obj.Service != nil:
		return equality.Semantic.DeepEqual(old.Service.Spec, obj.Service.Spec)
	case obj.Ingress != nil:
		return equality.Semantic.DeepEqual(old.Ingress.Spec, obj.Ingress.Spec)
	case obj.ServiceAccount != nil:
		return equality.Semantic.DeepEqual(old.ServiceAccount.AutomountServiceAccountToken, obj.ServiceAccount.AutomountServiceAccountToken)
	case obj.Role != nil:
		return equality.Semantic.DeepEqual(old.Role.Rules, obj.Role.Rules)
	case obj.ClusterRole != nil:
		return equality.Semantic.DeepEqual(old.ClusterRole.Rules, obj.ClusterRole.Rules) &&
			equality.Semantic.DeepEqual(old.ClusterRole.AggregationRule, obj.ClusterRole.AggregationRule)
	case obj.RoleBinding != nil:
		return equality.Semantic.DeepEqual(old.RoleBinding.Subjects, obj.RoleBinding.Subjects) &&
			old.RoleBinding.RoleRef == obj.RoleBinding.RoleRef
	case obj.ClusterBinding != nil:
		return equality.Semantic.DeepEqual(old.ClusterBinding.Subjects, obj.ClusterBinding.Subjects) &&
			old.ClusterBinding.RoleRef == obj.ClusterBinding.RoleRef
	}
	return equality.Semantic.DeepEqual(withoutMeta(old.Unstructured()), withoutMeta(obj.Unstructured()))
}

func withoutMeta(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		if k != "metadata" && k != "status" {
			out[k] = e
		}
	}
	return out
}
