package agent

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/palisade-dev/palisade/internal/core/rules"
)

// clusterInventory is the inventory admission reads: informer caches of
// the cluster's objects of the kinds the policy's referential rules read
// (uniqueIngressHosts, uniqueServiceSelectors, podDisruptionBudget). Each
// kind is watched from the first policy that needs it, and only then, so
// that an agent without those rules lists and watches nothing more. It is
// eventually consistent: an object created a moment ago may not be there
// yet, and until a kind is listed it is reported empty (the rules then
// find nothing).
type clusterInventory struct {
	client func() (kubernetes.Interface, error)
	logger *slog.Logger
	// syncWait is how long a kind may take to be listed before a warning.
	syncWait time.Duration

	mu      sync.Mutex // serializes watch
	started rules.InventoryKinds
	// listers are replaced as a whole when a kind starts; admission reads
	// them without a lock.
	listers atomic.Pointer[inventoryListers]
}

// inventoryListers are the caches of the kinds watched so far (nil: not
// watched).
type inventoryListers struct {
	ingresses, services, pdbs      cache.SharedIndexInformer
	deployments, statefulSets      cache.SharedIndexInformer
	replicaSets, replicationCtrlrs cache.SharedIndexInformer
}

var _ rules.Inventory = (*clusterInventory)(nil)

func newClusterInventory(client func() (kubernetes.Interface, error), logger *slog.Logger) *clusterInventory {
	inv := &clusterInventory{client: client, logger: logger, syncWait: 30 * time.Second}
	inv.listers.Store(&inventoryListers{})
	return inv
}

// watch starts the informers of the kinds not yet watched, until ctx
// ends. A kind is never unwatched while the agent runs: a policy that
// drops a rule and takes it back keeps its cache warm.
func (c *clusterInventory) watch(ctx context.Context, kinds rules.InventoryKinds) {
	c.mu.Lock()
	defer c.mu.Unlock()
	missing := kinds &^ c.started
	if missing == 0 {
		return
	}
	client, err := c.client()
	if err != nil {
		c.logger.Error("cannot watch the objects the referential rules read: they find nothing", "error", err)
		return
	}
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTransform(trimInventory))
	cur := *c.listers.Load()
	var synced []cache.InformerSynced
	var resources []string
	add := func(inf cache.SharedIndexInformer, resource string) cache.SharedIndexInformer {
		synced = append(synced, inf.HasSynced)
		resources = append(resources, resource)
		return inf
	}
	if missing&rules.InventoryIngresses != 0 {
		cur.ingresses = add(f.Networking().V1().Ingresses().Informer(), "ingresses")
	}
	if missing&rules.InventoryServices != 0 {
		cur.services = add(f.Core().V1().Services().Informer(), "services")
	}
	if missing&rules.InventoryPodDisruptionBudgets != 0 {
		cur.pdbs = add(f.Policy().V1().PodDisruptionBudgets().Informer(), "poddisruptionbudgets")
	}
	if missing&rules.InventoryWorkloads != 0 {
		cur.deployments = add(f.Apps().V1().Deployments().Informer(), "deployments")
		cur.statefulSets = add(f.Apps().V1().StatefulSets().Informer(), "statefulsets")
		cur.replicaSets = add(f.Apps().V1().ReplicaSets().Informer(), "replicasets")
		cur.replicationCtrlrs = add(f.Core().V1().ReplicationControllers().Informer(), "replicationcontrollers")
	}
	f.Start(ctx.Done())
	c.started |= missing
	c.listers.Store(&cur)
	go func() {
		wait, cancel := context.WithTimeout(ctx, c.syncWait)
		defer cancel()
		if cache.WaitForCacheSync(wait.Done(), synced...) {
			c.logger.Info("watching the objects the referential rules read", "resources", resources)
		} else if ctx.Err() == nil {
			c.logger.Warn("the objects the referential rules read cannot be listed yet (the agent needs list and watch on them): "+
				"until they are, those rules find nothing", "resources", resources)
		}
		<-ctx.Done()
		f.Shutdown()
	}()
}

// Ingresses returns the cached Ingresses of every namespace.
func (c *clusterInventory) Ingresses() []*networkingv1.Ingress {
	return listAll[*networkingv1.Ingress](c.listers.Load().ingresses, "")
}

// Services returns the cached Services of a namespace.
func (c *clusterInventory) Services(ns string) []*corev1.Service {
	return listAll[*corev1.Service](c.listers.Load().services, ns)
}

// PodDisruptionBudgets returns the cached PodDisruptionBudgets of a
// namespace.
func (c *clusterInventory) PodDisruptionBudgets(ns string) []*policyv1.PodDisruptionBudget {
	return listAll[*policyv1.PodDisruptionBudget](c.listers.Load().pdbs, ns)
}

// Workloads returns the cached Deployments, StatefulSets, ReplicaSets and
// ReplicationControllers of a namespace, but those another controls (a
// Deployment's ReplicaSets): they are judged through their owner.
func (c *clusterInventory) Workloads(ns string) []rules.Workload {
	l := c.listers.Load()
	var out []rules.Workload
	for _, d := range listAll[*appsv1.Deployment](l.deployments, ns) {
		out = appendWorkload(out, "Deployment", &d.ObjectMeta, d.Spec.Replicas, &d.Spec.Template)
	}
	for _, s := range listAll[*appsv1.StatefulSet](l.statefulSets, ns) {
		out = appendWorkload(out, "StatefulSet", &s.ObjectMeta, s.Spec.Replicas, &s.Spec.Template)
	}
	for _, r := range listAll[*appsv1.ReplicaSet](l.replicaSets, ns) {
		out = appendWorkload(out, "ReplicaSet", &r.ObjectMeta, r.Spec.Replicas, &r.Spec.Template)
	}
	for _, r := range listAll[*corev1.ReplicationController](l.replicationCtrlrs, ns) {
		if r.Spec.Template != nil {
			out = appendWorkload(out, "ReplicationController", &r.ObjectMeta, r.Spec.Replicas, r.Spec.Template)
		}
	}
	return out
}

func appendWorkload(out []rules.Workload, kind string, meta *metav1.ObjectMeta, replicas *int32, tmpl *corev1.PodTemplateSpec) []rules.Workload {
	if metav1.GetControllerOfNoCopy(meta) != nil {
		return out
	}
	return append(out, rules.Workload{Kind: kind, Namespace: meta.Namespace, Name: meta.Name, Replicas: replicas, Labels: tmpl.Labels})
}

// listAll lists a cache (nil: the kind is not watched) in namespace ns
// ("" for every namespace).
func listAll[T any](inf cache.SharedIndexInformer, ns string) []T {
	if inf == nil || !inf.HasSynced() {
		return nil
	}
	var out []T
	add := func(obj any) {
		if v, ok := obj.(T); ok {
			out = append(out, v)
		}
	}
	if ns == "" {
		_ = cache.ListAll(inf.GetIndexer(), labels.Everything(), add)
	} else {
		_ = cache.ListAllByNamespace(inf.GetIndexer(), ns, labels.Everything(), add)
	}
	return out
}

// trimInventory keeps of each object only what the referential rules read,
// so that caching every workload of the cluster stays small: no managed
// fields nor annotations, and of a workload's pod template only its labels.
func trimInventory(obj any) (any, error) {
	if m, ok := obj.(metav1.Object); ok {
		m.SetManagedFields(nil)
		m.SetAnnotations(nil)
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		o.Spec.Template.Spec, o.Status = corev1.PodSpec{}, appsv1.DeploymentStatus{}
	case *appsv1.StatefulSet:
		o.Spec.Template.Spec, o.Status = corev1.PodSpec{}, appsv1.StatefulSetStatus{}
		o.Spec.VolumeClaimTemplates = nil
	case *appsv1.ReplicaSet:
		o.Spec.Template.Spec, o.Status = corev1.PodSpec{}, appsv1.ReplicaSetStatus{}
	case *corev1.ReplicationController:
		if o.Spec.Template != nil {
			o.Spec.Template.Spec = corev1.PodSpec{}
		}
		o.Status = corev1.ReplicationControllerStatus{}
	}
	return obj, nil
}
