package workload

import "strings"

// readAs is the apiVersion Palisade reads each kind it decodes as, the one
// the API server serves and a validating webhook registered for v1 is sent.
var readAs = map[string]string{
	"Pod": "v1", "ReplicationController": "v1", "PodTemplate": "v1", "Service": "v1", "ServiceAccount": "v1",
	"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
	"Job": "batch/v1", "CronJob": "batch/v1",
	"Ingress": "networking.k8s.io/v1",
	"Role":    "rbac.authorization.k8s.io/v1", "ClusterRole": "rbac.authorization.k8s.io/v1",
	"RoleBinding": "rbac.authorization.k8s.io/v1", "ClusterRoleBinding": "rbac.authorization.k8s.io/v1",
	"PersistentVolumeClaim": "v1", "HorizontalPodAutoscaler": "autoscaling/v2",
	"PodDisruptionBudget": "policy/v1",
}

// builtinKinds are the kinds of the API versions whose every kind Palisade
// knows: an object of another kind there ("apps/v1" Deploymnet) is a
// mistake, not a custom resource (a CustomResourceDefinition's group always
// contains a dot).
var builtinKinds = map[string]map[string]bool{
	"v1": set("Binding", "ComponentStatus", "ConfigMap", "Endpoints", "Event", "LimitRange", "Namespace", "Node",
		"PersistentVolume", "PersistentVolumeClaim", "Pod", "PodTemplate", "ReplicationController", "ResourceQuota",
		"Secret", "Service", "ServiceAccount"),
	"apps/v1":  set("ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"),
	"batch/v1": set("CronJob", "Job"),
}

func set(vs ...string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// unknownReason says why Palisade cannot evaluate an object of apiVersion
// and kind, or "" when it can. It cannot when:
//   - the object has no apiVersion;
//   - the kind is one Palisade decodes (Deployment, Ingress, Role, ...)
//     under an apiVersion of Kubernetes's own groups (those without a dot,
//     and those ending in .k8s.io) other than the one it reads ("v1"
//     Deployment, "apps/v1beta1" Deployment, "networking.k8s.io/v1beta1"
//     Ingress, "autoscaling/v1" HorizontalPodAutoscaler);
//   - the group is the core group, apps, batch or extensions (removed in
//     Kubernetes 1.22) and the version or kind is not one they serve.
//
// Kinds of other groups (ConfigMap-like built-ins, custom resources) are
// evaluated by the kind-agnostic rules and are not reported.
func unknownReason(apiVersion, group, kind string) string {
	if apiVersion == "" {
		return "the object has no apiVersion"
	}
	want, decoded := readAs[kind]
	builtinGroup := group == "" || group == "apps" || group == "batch" || group == "extensions"
	kubeGroup := !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
	if decoded && apiVersion != want && kubeGroup {
		return "Palisade reads " + kind + " as " + want + ", not " + apiVersion
	}
	if !builtinGroup || decoded && apiVersion == want {
		return ""
	}
	if kinds, ok := builtinKinds[apiVersion]; !ok || !kinds[kind] {
		return apiVersion + " has no kind " + kind + " that Palisade knows"
	}
	return ""
}
