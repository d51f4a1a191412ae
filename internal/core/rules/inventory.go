package rules

import (
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// InventoryKinds are the kinds of other objects a referential rule reads
// (combined with |): what an inventory must hold for it.
type InventoryKinds uint

// The kinds an inventory holds.
const (
	// InventoryIngresses: the Ingresses of every namespace.
	InventoryIngresses InventoryKinds = 1 << iota
	// InventoryServices: Services.
	InventoryServices
	// InventoryPodDisruptionBudgets: policy/v1 PodDisruptionBudgets.
	InventoryPodDisruptionBudgets
	// InventoryWorkloads: Deployments, StatefulSets, ReplicaSets and
	// ReplicationControllers.
	InventoryWorkloads
)

// Inventory finds the other objects the referential rules compare an
// object with. `palisade scan` and `palisade test` fill one with every
// object of their input; the agent reads its informer caches of the
// cluster. What it returns must not be modified.
type Inventory interface {
	// Ingresses returns the Ingresses of every namespace.
	Ingresses() []*networkingv1.Ingress
	// Services returns the Services of a namespace.
	Services(namespace string) []*corev1.Service
	// PodDisruptionBudgets returns the PodDisruptionBudgets of a namespace.
	PodDisruptionBudgets(namespace string) []*policyv1.PodDisruptionBudget
	// Workloads returns the replicated workloads of a namespace.
	Workloads(namespace string) []Workload
}

// Workload is a Deployment, StatefulSet, ReplicaSet or
// ReplicationController as the referential rules read it.
type Workload struct {
	Kind, Namespace, Name string
	// Replicas is spec.replicas; nil when unset (the API server defaults
	// it to 1).
	Replicas *int32
	// Labels are the pod template's labels.
	Labels map[string]string
}

// replicatedKinds are the kinds Workload describes.
var replicatedKinds = []string{"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}

// WorkloadOf is obj as a Workload; false when obj is not a replicated
// workload with a pod template, or when another controls it (a
// Deployment's ReplicaSets): those are judged through their owner.
func WorkloadOf(obj *workload.Object, defaultNamespace string) (Workload, bool) {
	if obj.Pod == nil || !slices.Contains(replicatedKinds, obj.Kind) || metav1.GetControllerOfNoCopy(&obj.Meta) != nil {
		return Workload{}, false
	}
	return Workload{Kind: obj.Kind, Namespace: obj.Namespace(defaultNamespace), Name: obj.Meta.Name,
		Replicas: obj.Replicas, Labels: obj.Pod.Meta.Labels}, true
}

// WorkloadOfReplicated is WorkloadOf for a workload's summary
// (workload.DecodeReplicated), as a scan's first pass reads it.
func WorkloadOfReplicated(r *workload.Replicated, kind, defaultNamespace string) (Workload, bool) {
	if metav1.GetControllerOfNoCopy(&r.Meta) != nil {
		return Workload{}, false
	}
	ns := r.Meta.Namespace
	if ns == "" {
		ns = defaultNamespace
	}
	return Workload{Kind: kind, Namespace: ns, Name: r.Meta.Name, Replicas: r.Replicas, Labels: r.Labels}, true
}

// InventoryIndex is an Inventory held in memory: the scanner and `palisade
// test` add every object of their input. It is safe for concurrent use.
type InventoryIndex struct {
	mu        sync.RWMutex
	ingresses []*networkingv1.Ingress
	services  map[string][]*corev1.Service
	pdbs      map[string][]*policyv1.PodDisruptionBudget
	workloads map[string][]Workload
	// byHost and bySelector answer the uniqueness rules in one lookup
	// (IndexedInventory) where a scan of 10,000 objects would otherwise
	// compare every Ingress and Service with every other.
	byHost     map[string][]*networkingv1.Ingress
	bySelector map[string][]*corev1.Service // namespace NUL selectorString
}

// IndexedInventory is an Inventory that can also find Ingresses by host
// and Services by selector directly; the uniqueness rules use it when the
// inventory offers it, and compare with every object otherwise.
type IndexedInventory interface {
	Inventory
	// IngressesWithHost returns the Ingresses with a rule for host.
	IngressesWithHost(host string) []*networkingv1.Ingress
	// ServicesWithSelector returns the Services of namespace whose
	// selector is selector, as selectorString writes it.
	ServicesWithSelector(namespace, selector string) []*corev1.Service
}

var _ IndexedInventory = (*InventoryIndex)(nil)

// NewInventoryIndex returns an empty index.
func NewInventoryIndex() *InventoryIndex {
	return &InventoryIndex{services: map[string][]*corev1.Service{}, pdbs: map[string][]*policyv1.PodDisruptionBudget{},
		workloads: map[string][]Workload{}, byHost: map[string][]*networkingv1.Ingress{}, bySelector: map[string][]*corev1.Service{}}
}

// Add adds obj when it is of a kind the index holds, and reports whether
// it was. An object that names no namespace is put in defaultNamespace,
// where the engine judges it. The index keeps obj's typed values: they
// must not change afterwards.
func (x *InventoryIndex) Add(obj *workload.Object, defaultNamespace string) bool {
	ns := obj.Namespace(defaultNamespace)
	switch {
	case obj.Ingress != nil:
		ing := *obj.Ingress
		ing.Namespace = ns
		x.AddIngress(&ing)
	case obj.Service != nil:
		svc := *obj.Service
		svc.Namespace = ns
		x.AddService(&svc)
	case obj.PodDisruptionBudget != nil:
		pdb := *obj.PodDisruptionBudget
		pdb.Namespace = ns
		x.AddPodDisruptionBudget(&pdb)
	default:
		w, ok := WorkloadOf(obj, defaultNamespace)
		if !ok {
			return false
		}
		x.AddWorkload(w)
	}
	return true
}

// AddIngress adds an Ingress (kept, not copied).
func (x *InventoryIndex) AddIngress(ing *networkingv1.Ingress) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ingresses = append(x.ingresses, ing)
	for i, r := range ing.Spec.Rules {
		if r.Host != "" && !slices.ContainsFunc(ing.Spec.Rules[:i], func(p networkingv1.IngressRule) bool { return p.Host == r.Host }) {
			x.byHost[r.Host] = append(x.byHost[r.Host], ing)
		}
	}
}

// AddService adds a Service (kept, not copied).
func (x *InventoryIndex) AddService(svc *corev1.Service) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.services[svc.Namespace] = append(x.services[svc.Namespace], svc)
	if len(svc.Spec.Selector) > 0 {
		k := svc.Namespace + "\x00" + selectorString(svc.Spec.Selector)
		x.bySelector[k] = append(x.bySelector[k], svc)
	}
}

// AddPodDisruptionBudget adds a PodDisruptionBudget (kept, not copied).
func (x *InventoryIndex) AddPodDisruptionBudget(pdb *policyv1.PodDisruptionBudget) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pdbs[pdb.Namespace] = append(x.pdbs[pdb.Namespace], pdb)
}

// AddWorkload adds a workload.
func (x *InventoryIndex) AddWorkload(w Workload) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.workloads[w.Namespace] = append(x.workloads[w.Namespace], w)
}

// Ingresses returns every Ingress added.
func (x *InventoryIndex) Ingresses() []*networkingv1.Ingress {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.ingresses
}

// Services returns the Services added in namespace.
func (x *InventoryIndex) Services(namespace string) []*corev1.Service {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.services[namespace]
}

// IngressesWithHost returns the Ingresses added with a rule for host.
func (x *InventoryIndex) IngressesWithHost(host string) []*networkingv1.Ingress {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.byHost[host]
}

// ServicesWithSelector returns the Services added in namespace whose
// selector is selector (selectorString's form).
func (x *InventoryIndex) ServicesWithSelector(namespace, selector string) []*corev1.Service {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.bySelector[namespace+"\x00"+selector]
}

// PodDisruptionBudgets returns the PodDisruptionBudgets added in namespace.
func (x *InventoryIndex) PodDisruptionBudgets(namespace string) []*policyv1.PodDisruptionBudget {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.pdbs[namespace]
}

// Workloads returns the workloads added in namespace.
func (x *InventoryIndex) Workloads(namespace string) []Workload {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.workloads[namespace]
}
