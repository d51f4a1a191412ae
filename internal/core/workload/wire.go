package workload

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The wire types decode only what rules read from workloads: the pod spec
// and the few metadata fields (names, labels, annotations). Status and
// managedFields, which the API server sends with every object and which
// cost more to decode than the spec, are skipped. The JSON names are the
// k8s.io/api ones.

type wireMeta struct {
	Name         string            `json:"name,omitempty"`
	GenerateName string            `json:"generateName,omitempty"`
	Namespace    string            `json:"namespace,omitempty"`
	UID          string            `json:"uid,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	// OwnerReferences tell a Deployment's ReplicaSet from a ReplicaSet of
	// its own (podDisruptionBudget judges the former through its owner).
	OwnerReferences []metav1.OwnerReference `json:"ownerReferences,omitempty"`
}

func (m *wireMeta) meta() metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, GenerateName: m.GenerateName, Namespace: m.Namespace,
		UID: typesUID(m.UID), Labels: m.Labels, Annotations: m.Annotations, OwnerReferences: m.OwnerReferences}
}

type wireTemplate struct {
	Metadata wireMeta       `json:"metadata"`
	Spec     corev1.PodSpec `json:"spec"`
}

type wirePod struct {
	Metadata wireMeta       `json:"metadata"`
	Spec     corev1.PodSpec `json:"spec"`
}

// wireWithTemplate is Deployment, ReplicaSet, StatefulSet, DaemonSet, Job
// and ReplicationController: spec.template, spec.replicas where the
// kind has it, and a StatefulSet's spec.volumeClaimTemplates.
type wireWithTemplate struct {
	Metadata wireMeta `json:"metadata"`
	Spec     struct {
		Replicas             *int32                         `json:"replicas"`
		Template             *wireTemplate                  `json:"template"`
		VolumeClaimTemplates []corev1.PersistentVolumeClaim `json:"volumeClaimTemplates"`
	} `json:"spec"`
}

type wireCronJob struct {
	Metadata wireMeta `json:"metadata"`
	Spec     struct {
		JobTemplate struct {
			Spec struct {
				Template wireTemplate `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

type wirePodTemplate struct {
	Metadata wireMeta     `json:"metadata"`
	Template wireTemplate `json:"template"`
}

func typesUID(s string) types.UID { return types.UID(s) }
