package workload

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Object is one decoded Kubernetes object.
type Object struct {
	APIVersion string
	Kind       string
	Meta       metav1.ObjectMeta
	// Raw is the object as JSON; CEL rules read it.
	Raw json.RawMessage
	// Unknown, when set, says why the object cannot be evaluated: its
	// apiVersion and kind are not ones Palisade knows ("v1" Deployment,
	// "apps/v1beta1" Deployment). Only its metadata is decoded.
	Unknown string

	// Pod is set for every kind that carries a pod template.
	Pod *PodTemplate
	// Replicas is spec.replicas of a Deployment, ReplicaSet, StatefulSet
	// or ReplicationController; nil when unset (the API server defaults
	// it to 1) and for every other kind.
	Replicas *int32
	// At most one of the following is set, by kind.
	Service        *corev1.Service
	Ingress        *networkingv1.Ingress
	ServiceAccount *corev1.ServiceAccount
	Role           *rbacv1.Role
	ClusterRole    *rbacv1.ClusterRole
	RoleBinding    *rbacv1.RoleBinding
	ClusterBinding *rbacv1.ClusterRoleBinding
	// PersistentVolumeClaim is set on a v1 PersistentVolumeClaim.
	PersistentVolumeClaim *corev1.PersistentVolumeClaim
	// HorizontalPodAutoscaler is set on an autoscaling/v2
	// HorizontalPodAutoscaler.
	HorizontalPodAutoscaler *autoscalingv2.HorizontalPodAutoscaler

	// VolumeClaimTemplates is spec.volumeClaimTemplates of a StatefulSet
	// (alongside its Pod).
	VolumeClaimTemplates []corev1.PersistentVolumeClaim
	// PodDisruptionBudget is set for policy/v1 PodDisruptionBudgets.
	PodDisruptionBudget *policyv1.PodDisruptionBudget

	unstructuredOnce sync.Once
	unstructured     any
	// typed is the object Raw is marshalled from on demand, for objects
	// built from typed values (FromPod).
	typed any
}

// FromPod wraps a typed pod (from an informer cache, say) without copying
// it: the pod must not change while the Object is in use. Its JSON, which
// only CEL rules read, is built on first use.
func FromPod(p *corev1.Pod) *Object {
	o := &Object{APIVersion: "v1", Kind: "Pod", Meta: p.ObjectMeta, typed: p}
	o.setPod(&o.Meta, &p.Spec, "spec")
	return o
}

// PodTemplate is the pod an object would run.
type PodTemplate struct {
	Meta *metav1.ObjectMeta
	Spec *corev1.PodSpec
	// SpecPath is the field path of Spec in the object
	// ("spec", "spec.template.spec", "spec.jobTemplate.spec.template.spec").
	SpecPath string
	// Containers lists init, regular and ephemeral containers in that order.
	Containers []Container
}

// Head reads apiVersion and kind from a JSON object. It looks only at the
// object's top-level keys (the full decode that follows validates the rest).
func Head(raw []byte) (apiVersion, kind string, err error) {
	p := parser{data: raw}
	p.space()
	if p.i >= len(raw) || raw[p.i] != '{' {
		return "", "", fmt.Errorf("not a JSON object")
	}
	p.i++
	for {
		p.space()
		if p.i < len(raw) && raw[p.i] == '}' {
			return apiVersion, kind, nil
		}
		if p.i >= len(raw) || raw[p.i] != '"' {
			return "", "", p.errorf("expected a key")
		}
		key, err := p.str()
		if err != nil {
			return "", "", err
		}
		p.space()
		if p.i >= len(raw) || raw[p.i] != ':' {
			return "", "", p.errorf("expected ':'")
		}
		p.i++
		p.space()
		if (key == "apiVersion" || key == "kind") && p.i < len(raw) && raw[p.i] == '"' {
			v, err := p.str()
			if err != nil {
				return "", "", err
			}
			if key == "kind" {
				kind = v
			} else {
				apiVersion = v
			}
			if kind != "" && apiVersion != "" {
				return apiVersion, kind, nil
			}
		} else if err := p.skip(); err != nil {
			return "", "", err
		}
		p.space()
		if p.i < len(raw) && raw[p.i] == ',' {
			p.i++
		}
	}
}

// Decode decodes one JSON object as the API server does: field names are
// case-sensitive ("Privileged" is not "privileged"). Kinds Palisade does not know are returned
// with only their metadata, so that kind-agnostic rules still see them.
// A List must be expanded by the caller (see IsList).
func Decode(raw []byte) (*Object, error) {
	apiVersion, kind, err := Head(raw)
	if err != nil {
		return nil, err
	}
	return DecodeKind(raw, apiVersion, kind)
}

// DecodeKind is Decode for a caller that has already read the head.
func DecodeKind(raw []byte, apiVersion, kind string) (*Object, error) {
	if kind == "" {
		return nil, fmt.Errorf("object has no kind")
	}
	o := &Object{APIVersion: apiVersion, Kind: kind, Raw: raw}
	group := apiVersion
	if i := strings.IndexByte(group, '/'); i >= 0 {
		group = group[:i]
	} else {
		group = ""
	}
	if o.Unknown = unknownReason(apiVersion, group, kind); o.Unknown != "" {
		if err := o.decodeMeta(raw); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kind, err)
		}
		return o, nil
	}
	if err := o.decodeTyped(group, raw); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	return o, nil
}

func (o *Object) decodeTyped(group string, raw []byte) error {
	switch {
	case group == "" && o.Kind == "Pod":
		var v wirePod
		return o.wire(raw, &v, &v.Metadata, &v.Metadata, &v.Spec, "spec")
	case group == "apps" && (o.Kind == "Deployment" || o.Kind == "ReplicaSet" || o.Kind == "StatefulSet" || o.Kind == "DaemonSet"),
		group == "batch" && o.Kind == "Job", group == "" && o.Kind == "ReplicationController":
		var v wireWithTemplate
		if err := unmarshal(raw, &v); err != nil {
			return err
		}
		o.Meta = v.Metadata.meta()
		if o.Kind != "DaemonSet" && o.Kind != "Job" {
			o.Replicas = v.Spec.Replicas
		}
		if o.Kind == "StatefulSet" {
			o.VolumeClaimTemplates = v.Spec.VolumeClaimTemplates
		}
		if t := v.Spec.Template; t != nil { // a ReplicationController's template is optional
			o.setPod(ptr(t.Metadata.meta()), &t.Spec, "spec.template.spec")
		}
		return nil
	case group == "batch" && o.Kind == "CronJob":
		var v wireCronJob
		t := &v.Spec.JobTemplate.Spec.Template
		return o.wire(raw, &v, &v.Metadata, &t.Metadata, &t.Spec, "spec.jobTemplate.spec.template.spec")
	case group == "" && o.Kind == "PodTemplate":
		var v wirePodTemplate
		return o.wire(raw, &v, &v.Metadata, &v.Template.Metadata, &v.Template.Spec, "template.spec")
	case group == "" && o.Kind == "Service":
		o.Service = &corev1.Service{}
		return o.into(raw, o.Service, &o.Service.ObjectMeta)
	case group == "" && o.Kind == "ServiceAccount":
		o.ServiceAccount = &corev1.ServiceAccount{}
		return o.into(raw, o.ServiceAccount, &o.ServiceAccount.ObjectMeta)
	case o.Kind == "Ingress" && group == "networking.k8s.io":
		o.Ingress = &networkingv1.Ingress{}
		return o.into(raw, o.Ingress, &o.Ingress.ObjectMeta)
	case o.Kind == "Role" && group == "rbac.authorization.k8s.io":
		o.Role = &rbacv1.Role{}
		return o.into(raw, o.Role, &o.Role.ObjectMeta)
	case o.Kind == "ClusterRole" && group == "rbac.authorization.k8s.io":
		o.ClusterRole = &rbacv1.ClusterRole{}
		return o.into(raw, o.ClusterRole, &o.ClusterRole.ObjectMeta)
	case o.Kind == "RoleBinding" && group == "rbac.authorization.k8s.io":
		o.RoleBinding = &rbacv1.RoleBinding{}
		return o.into(raw, o.RoleBinding, &o.RoleBinding.ObjectMeta)
	case o.Kind == "ClusterRoleBinding" && group == "rbac.authorization.k8s.io":
		o.ClusterBinding = &rbacv1.ClusterRoleBinding{}
		return o.into(raw, o.ClusterBinding, &o.ClusterBinding.ObjectMeta)
	case group == "" && o.Kind == "PersistentVolumeClaim":
		o.PersistentVolumeClaim = &corev1.PersistentVolumeClaim{}
		return o.into(raw, o.PersistentVolumeClaim, &o.PersistentVolumeClaim.ObjectMeta)
	case group == "autoscaling" && o.Kind == "HorizontalPodAutoscaler":
		o.HorizontalPodAutoscaler = &autoscalingv2.HorizontalPodAutoscaler{}
		return o.into(raw, o.HorizontalPodAutoscaler, &o.HorizontalPodAutoscaler.ObjectMeta)
	case o.Kind == "PodDisruptionBudget" && group == "policy":
		o.PodDisruptionBudget = &policyv1.PodDisruptionBudget{}
		return o.into(raw, o.PodDisruptionBudget, &o.PodDisruptionBudget.ObjectMeta)
	default:
		return o.decodeMeta(raw)
	}
}

// decodeMeta decodes only the object's metadata.
func (o *Object) decodeMeta(raw []byte) error {
	var v metav1.PartialObjectMetadata
	return o.into(raw, &v, &v.ObjectMeta)
}

func (o *Object) into(raw []byte, v any, meta *metav1.ObjectMeta) error {
	if err := unmarshal(raw, v); err != nil {
		return err
	}
	o.Meta = *meta
	return nil
}

func (o *Object) wire(raw []byte, v any, meta, podMeta *wireMeta, spec *corev1.PodSpec, path string) error {
	if err := unmarshal(raw, v); err != nil {
		return err
	}
	o.Meta = meta.meta()
	o.setPod(ptr(podMeta.meta()), spec, path)
	return nil
}

func ptr[T any](v T) *T { return &v }

func (o *Object) setPod(meta *metav1.ObjectMeta, spec *corev1.PodSpec, path string) {
	o.Pod = &PodTemplate{Meta: meta, Spec: spec, SpecPath: path}
	o.Pod.Containers = containersOf(spec, path)
}

// IsList reports whether kind is a List ("List", "PodList", ...).
func IsList(kind string) bool { return strings.HasSuffix(kind, "List") }

// ListItems splits a List object into its raw items.
func ListItems(raw []byte) ([]json.RawMessage, error) {
	var l struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := unmarshal(raw, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// Namespace returns the object's namespace, or def when it has none.
func (o *Object) Namespace(def string) string {
	if o.Meta.Namespace != "" {
		return o.Meta.Namespace
	}
	return def
}

var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true,
	"ClusterRoleBinding": true, "StorageClass": true, "CustomResourceDefinition": true,
	"PriorityClass": true, "IngressClass": true, "RuntimeClass": true, "CSIDriver": true,
	"CSINode": true, "APIService": true, "ValidatingWebhookConfiguration": true,
	"MutatingWebhookConfiguration": true, "ValidatingAdmissionPolicy": true,
	"ValidatingAdmissionPolicyBinding": true, "VolumeAttachment": true,
	"MutatingAdmissionPolicy": true, "MutatingAdmissionPolicyBinding": true,
	"CertificateSigningRequest": true, "ClusterTrustBundle": true, "FlowSchema": true,
	"PriorityLevelConfiguration": true, "ServiceCIDR": true, "IPAddress": true,
	"DeviceClass": true, "VolumeAttributesClass": true, "StorageVersion": true,
	"StorageVersionMigration": true, "TokenReview": true, "SelfSubjectReview": true,
	"SubjectAccessReview": true, "SelfSubjectAccessReview": true, "SelfSubjectRulesReview": true,
	"ComponentStatus": true, "ResourceSlice": true,
}

// IsClusterScoped reports whether kind is a built-in cluster-scoped kind.
func IsClusterScoped(kind string) bool { return clusterScoped[kind] }

// JSONArray splits a JSON array into its raw items.
func JSONArray(raw []byte) ([]json.RawMessage, error) {
	var items []json.RawMessage
	if err := unmarshal(raw, &items); err != nil {
		return nil, err
	}
	return items, nil
}
