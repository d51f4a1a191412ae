// Package segmentation keeps workloads segmented at birth (seed 004): in
// every namespace whose governing policy definition enables segmentation,
// including namespaces created later, the agent keeps a NetworkPolicy that
// denies ingress to every pod except from pods of the same namespace and
// of the namespaces the definition lists. It is recreated when deleted,
// updated when the policy changes, removed when the option is turned off,
// and every change is an event.
package segmentation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// ManagedLabel marks the NetworkPolicies the controller owns; it never
// touches one without it.
const ManagedLabel = "palisade.dev/segmentation"

// managedValue is ManagedLabel's value.
const managedValue = "managed"

// RuleName is the rule events of this controller carry.
const RuleName = "segmentation"

// The reasons of the Kubernetes Events recorded on a namespace whose
// segmentation NetworkPolicy Palisade created, updated or deleted.
const (
	ReasonApplied = "SegmentationApplied"
	ReasonRemoved = "SegmentationRemoved"
)

// Events records Kubernetes Events on the objects Palisade acts on
// (kubeevent.Recorder).
type Events interface {
	Event(regarding, related *corev1.ObjectReference, eventType, reason, action, note string)
}

// Options configure a Controller.
type Options struct {
	Client kubernetes.Interface
	// Policy returns the policy in force (nil: none; nothing is changed).
	Policy  func() *engine.Compiled
	Sink    event.Sink
	Cluster string
	// Skip are namespaces never segmented, whatever the policy says: the
	// agent's own (the API server must reach its webhook).
	Skip   []string
	DryRun bool
	// Events receives a Kubernetes Event on the Namespace for each change
	// made (nil: none; a dry run makes none).
	Events Events
	Logger *slog.Logger
	Now    func() time.Time
}

// Controller reconciles the segmentation NetworkPolicies.
type Controller struct {
	opts    Options
	log     *slog.Logger
	factory informers.SharedInformerFactory
	// npFactory watches only the managed NetworkPolicies.
	npFactory informers.SharedInformerFactory
	nsList    corelisters.NamespaceLister
	npList    networkinglisters.NetworkPolicyLister
	synced    []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]

	mu sync.Mutex
	// dryRun remembers what a dry run would have done, per namespace, so
	// that it is recorded once.
	dryRun map[string]string
}

// New returns a controller; Run starts it.
func New(opts Options) (*Controller, error) {
	if opts.Client == nil || opts.Policy == nil {
		return nil, errors.New("segmentation: a client and a policy are required")
	}
	if opts.Sink == nil {
		opts.Sink = event.Discard{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Controller{opts: opts, log: opts.Logger, dryRun: map[string]string{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "palisade-segmentation"})}
	c.factory = informers.NewSharedInformerFactoryWithOptions(opts.Client, 0)
	ns := c.factory.Core().V1().Namespaces()
	c.nsList = ns.Lister()
	if _, err := ns.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueueNamespace(obj) },
		UpdateFunc: func(_, obj any) { c.enqueueNamespace(obj) },
	}); err != nil {
		return nil, err
	}
	// Only the managed NetworkPolicies are watched.
	c.npFactory = informers.NewSharedInformerFactoryWithOptions(opts.Client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = ManagedLabel + "=" + managedValue
	}))
	np := c.npFactory.Networking().V1().NetworkPolicies()
	c.npList = np.Lister()
	if _, err := np.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueuePolicy,
		UpdateFunc: func(_, obj any) { c.enqueuePolicy(obj) },
		DeleteFunc: c.enqueuePolicy,
	}); err != nil {
		return nil, err
	}
	c.synced = []cache.InformerSynced{ns.Informer().HasSynced, np.Informer().HasSynced}
	return c, nil
}

func (c *Controller) enqueueNamespace(obj any) {
	if ns, ok := obj.(*corev1.Namespace); ok {
		c.queue.Add(ns.Name)
	}
}

func (c *Controller) enqueuePolicy(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if np, ok := obj.(*networkingv1.NetworkPolicy); ok {
		c.queue.Add(np.Namespace)
	}
}

// Resync queues every namespace: the policy changed.
func (c *Controller) Resync() {
	list, err := c.nsList.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ns := range list {
		c.queue.Add(ns.Name)
	}
}

// Run starts the informers and reconciles until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	c.factory.Start(ctx.Done())
	defer c.factory.Shutdown()
	c.npFactory.Start(ctx.Done())
	defer c.npFactory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return ctx.Err()
	}
	c.log.Info("segmentation at birth started", "dry_run", c.opts.DryRun)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for c.next(ctx) {
		}
	}()
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

func (c *Controller) next(ctx context.Context) bool {
	ns, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(ns)
	if err := c.reconcile(ctx, ns); err != nil {
		if ctx.Err() == nil {
			c.log.Warn("segmentation not reconciled; will retry", "namespace", ns, "error", err)
		}
		c.queue.AddRateLimited(ns)
		return true
	}
	c.queue.Forget(ns)
	return true
}

// Desired returns the NetworkPolicy segmentation wants in namespace ns
// under policy p, or nil when it wants none: the definition governing ns
// does not enable it, ns is a system namespace no namespace definition
// lists, or ns is skipped.
func Desired(p *policy.Policy, ns string, skip []string) *networkingv1.NetworkPolicy {
	if p == nil || slices.Contains(skip, ns) {
		return nil
	}
	def := p.For(ns)
	if !def.Explicit && policy.IsSystemNamespace(ns) {
		return nil
	}
	seg := def.Segmentation
	if seg == nil || !seg.Enabled {
		return nil
	}
	from := []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}
	if allowed := allowedNamespaces(seg, ns); len(allowed) > 0 {
		from = append(from, networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn, Values: allowed}},
		}})
	}
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name: policy.SegmentationPolicyName, Namespace: ns,
			Labels: map[string]string{ManagedLabel: managedValue},
			Annotations: map[string]string{
				"palisade.dev/policy":     p.Metadata.Name,
				"palisade.dev/definition": def.Name,
				"palisade.dev/purpose":    "segmented at birth: ingress only from this namespace and the listed ones; remove with the policy's segmentation option, not by hand",
			},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: from}},
		},
	}
}

// allowedNamespaces are the namespaces listed besides ns itself, sorted.
func allowedNamespaces(seg *policy.Segmentation, ns string) []string {
	var out []string
	for _, n := range seg.AllowFromNamespaces {
		if n != ns && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// describe says what a segmentation NetworkPolicy lets in.
func describe(np *networkingv1.NetworkPolicy) string {
	allowed := []string{"the same namespace"}
	for _, peer := range np.Spec.Ingress[0].From {
		if peer.NamespaceSelector != nil {
			for _, r := range peer.NamespaceSelector.MatchExpressions {
				allowed = append(allowed, "namespaces "+strings.Join(r.Values, ", "))
			}
		}
	}
	return "ingress to every pod only from " + strings.Join(allowed, " and from ")
}

func (c *Controller) reconcile(ctx context.Context, ns string) error {
	nsObj, err := c.nsList.Get(ns)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if nsObj.DeletionTimestamp != nil {
		return nil
	}
	compiled := c.opts.Policy()
	if compiled == nil {
		return nil // no policy yet: change nothing
	}
	want := Desired(compiled.Policy, ns, c.opts.Skip)
	have, err := c.npList.NetworkPolicies(ns).Get(policy.SegmentationPolicyName)
	if apierrors.IsNotFound(err) {
		have, err = nil, nil
	}
	if err != nil {
		return err
	}
	polName := compiled.Policy.Metadata.Name
	np := c.opts.Client.NetworkingV1().NetworkPolicies(ns)
	switch {
	case want == nil && have == nil:
		return nil
	case want == nil:
		return c.change(ctx, nsObj, polName, "Delete", "removed: the policy no longer segments this namespace", func() error {
			err := np.Delete(ctx, have.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &have.UID}})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		})
	case have == nil:
		return c.change(ctx, nsObj, polName, "Create", "created: "+describe(want), func() error {
			_, err := np.Create(ctx, want, metav1.CreateOptions{FieldManager: "palisade"})
			if apierrors.IsAlreadyExists(err) {
				return c.foreign(ctx, ns)
			}
			return err
		})
	case !apiequality.Semantic.DeepEqual(have.Spec, want.Spec) || !maps(have.Annotations, want.Annotations):
		upd := have.DeepCopy()
		upd.Spec, upd.Labels, upd.Annotations = want.Spec, want.Labels, want.Annotations
		return c.change(ctx, nsObj, polName, "Update", "updated: "+describe(want), func() error {
			_, err := np.Update(ctx, upd, metav1.UpdateOptions{FieldManager: "palisade"})
			return err
		})
	}
	return nil
}

// errForeign is a NetworkPolicy of the segmentation's name that Palisade
// does not manage: it is left alone.
var errForeign = errors.New("foreign")

// foreign checks a NetworkPolicy that already exists under the managed
// name: one without the managed label is someone else's and is left alone
// (logged, not retried); one with it is not in the informer yet (retried).
func (c *Controller) foreign(ctx context.Context, ns string) error {
	got, err := c.opts.Client.NetworkingV1().NetworkPolicies(ns).Get(ctx, policy.SegmentationPolicyName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if got.Labels[ManagedLabel] == managedValue {
		return fmt.Errorf("NetworkPolicy %s/%s is not in the informer yet", ns, got.Name)
	}
	return errForeign
}

// maps reports whether have holds every key of want with its value.
func maps(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// change carries out one change (or, in a dry run, only records it) and
// records it as an event; a change made is also a Kubernetes Event on the
// namespace, whose action is verb (Create, Update, Delete).
func (c *Controller) change(ctx context.Context, nsObj *corev1.Namespace, pol, verb, what string, do func() error) error {
	ns := nsObj.Name
	msg := "NetworkPolicy " + policy.SegmentationPolicyName + " " + what
	if c.opts.DryRun {
		c.mu.Lock()
		seen := c.dryRun[ns] == msg
		c.dryRun[ns] = msg
		c.mu.Unlock()
		if seen {
			return nil
		}
		msg = "dry run: " + msg + " (nothing was changed)"
	} else if err := do(); errors.Is(err, errForeign) {
		c.log.Warn("a NetworkPolicy named "+policy.SegmentationPolicyName+" that Palisade does not manage exists: the namespace is not segmented by Palisade",
			"namespace", ns, "label", ManagedLabel+"="+managedValue)
		return nil
	} else if err != nil {
		return err
	}
	c.log.Info("segmentation", "namespace", ns, "change", msg)
	if c.opts.Events != nil && !c.opts.DryRun {
		reason := ReasonApplied
		if verb == "Delete" {
			reason = ReasonRemoved
		}
		c.opts.Events.Event(&corev1.ObjectReference{APIVersion: "v1", Kind: "Namespace", Name: ns, UID: nsObj.UID},
			&corev1.ObjectReference{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: ns, Name: policy.SegmentationPolicyName},
			corev1.EventTypeNormal, reason, verb, msg)
	}
	ev := event.Event{ID: event.NewID(), Time: c.opts.Now().UTC(), Cluster: c.opts.Cluster, Namespace: ns,
		Kind: "NetworkPolicy", Name: policy.SegmentationPolicyName, Tab: string(policy.TabContinuous), Rule: RuleName,
		Action: string(policy.ActionLog), Policy: pol, Message: msg}
	ev.Bound()
	if err := c.opts.Sink.Record(ctx, []event.Event{ev}); err != nil {
		c.log.Warn("segmentation event not recorded", "namespace", ns, "error", err)
	}
	return nil
}
