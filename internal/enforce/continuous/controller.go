// Package continuous is the policy's second tab at work: every pod is
// judged against the continuous tab when it appears or changes, again on a
// period and whenever the policy changes, and the tab's actions are carried
// out: log (one event per violation until it changes or clears), isolate
// (a label and a deny-all NetworkPolicy) or terminate (delete the pod,
// within guardrails).
package continuous

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/workload"
	"github.com/palisade-dev/palisade/internal/enforce/containment"
)

// Defaults and bounds of the options.
const (
	DefaultPeriod = time.Hour
	MinPeriod     = time.Minute
)

// Options configure a Controller.
type Options struct {
	Client kubernetes.Interface
	// Policy returns the policy in force (nil: none, nothing is judged).
	Policy func() *engine.Compiled
	Sink   event.Sink
	// Cluster is recorded in events.
	Cluster string
	// Period is how often every pod is judged again (DefaultPeriod when
	// zero; at least MinPeriod).
	Period time.Duration
	// DryRun records what isolate and terminate would do, and does
	// nothing.
	DryRun bool
	// Protected namespaces are never contained (isolated or terminated),
	// whatever the policy says; the agent's own namespace is always one.
	Protected []string
	// TerminateRate bounds deletions per minute (containment.DefaultTerminateRate when
	// zero); TerminateBurst is how many may go at once (the rate when zero).
	TerminateRate  int
	TerminateBurst int
	// Workers judge pods concurrently (2 when zero).
	Workers int
	// Reports, when set, receives the continuous tab's results as
	// per-namespace PolicyReports every ReportInterval (10 minutes when
	// zero).
	Reports        ReportPublisher
	ReportInterval time.Duration
	// Containment, when set, is shared with other responders (its own
	// guardrails then apply, and DryRun, Protected and the terminate rate
	// above are ignored); otherwise one is built from those options.
	Containment *containment.Containment
	Logger      *slog.Logger
	Now         func() time.Time
}

// Validate reports every problem of the options at once.
func (o *Options) Validate() error {
	var errs []error
	if o.Client == nil {
		errs = append(errs, errors.New("continuous: a Kubernetes client is required"))
	}
	if o.Policy == nil {
		errs = append(errs, errors.New("continuous: a policy source is required"))
	}
	if o.Period != 0 && o.Period < MinPeriod {
		errs = append(errs, fmt.Errorf("continuous: the period %s is under the minimum %s", o.Period, MinPeriod))
	}
	if o.TerminateRate < 0 || o.TerminateBurst < 0 {
		errs = append(errs, errors.New("continuous: the terminate rate and burst cannot be negative"))
	}
	return errors.Join(errs...)
}

// Controller judges running pods.
type Controller struct {
	opts    Options
	log     *slog.Logger
	factory informers.SharedInformerFactory
	pods    corelisters.PodLister
	nps     networkPolicies
	synced  []cache.InformerSynced
	queue   workqueue.TypedRateLimitingInterface[string]
	contain *containment.Containment

	mu    sync.Mutex
	state map[types.UID]*podState
}

// podState is what was last reported for a pod.
type podState struct {
	reported map[string]bool // finding fingerprints already recorded
}

// New returns a controller; Run starts it.
func New(opts Options) (*Controller, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Period == 0 {
		opts.Period = DefaultPeriod
	}
	if opts.TerminateRate == 0 {
		opts.TerminateRate = containment.DefaultTerminateRate
	}
	if opts.TerminateBurst == 0 {
		opts.TerminateBurst = opts.TerminateRate
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.ReportInterval <= 0 {
		opts.ReportInterval = 10 * time.Minute
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
	contain := opts.Containment
	if contain == nil {
		var err error
		contain, err = containment.New(containment.Options{Client: opts.Client, DryRun: opts.DryRun, Protected: opts.Protected,
			TerminateRate: opts.TerminateRate, TerminateBurst: opts.TerminateBurst, Logger: opts.Logger, Now: opts.Now})
		if err != nil {
			return nil, err
		}
	}
	c := &Controller{
		opts:    opts,
		log:     opts.Logger,
		contain: contain,
		state:   map[types.UID]*podState{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "palisade-continuous"}),
	}
	c.factory = informers.NewSharedInformerFactoryWithOptions(opts.Client, 0, informers.WithTransform(Trim))
	inf := c.factory.Core().V1().Pods()
	c.pods = inf.Lister()
	_, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
		DeleteFunc: c.forget,
	})
	if err != nil {
		return nil, err
	}
	// NetworkPolicies, for networkPolicyCoverage: a change re-judges the
	// pods of its namespace.
	npInf := c.factory.Networking().V1().NetworkPolicies()
	c.nps = networkPolicies{lister: npInf.Lister(), synced: npInf.Informer().HasSynced}
	_, err = npInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.namespaceChanged,
		UpdateFunc: func(_, obj any) { c.namespaceChanged(obj) },
		DeleteFunc: c.namespaceChanged,
	})
	if err != nil {
		return nil, err
	}
	// Only the pods are waited for: without the right to list
	// NetworkPolicies the other checks still run, and
	// networkPolicyCoverage says why it cannot judge.
	c.synced = []cache.InformerSynced{inf.Informer().HasSynced}
	return c, nil
}

// networkPolicies reads NetworkPolicies from the informer's cache.
type networkPolicies struct {
	lister networkinglisters.NetworkPolicyLister
	synced cache.InformerSynced
}

var errNetworkPoliciesNotSynced = errors.New("not listed yet (the agent needs list and watch on networkpolicies)")

func (n networkPolicies) NetworkPolicies(ns string) ([]*networkingv1.NetworkPolicy, error) {
	if !n.synced() {
		return nil, errNetworkPoliciesNotSynced
	}
	return n.lister.NetworkPolicies(ns).List(everything)
}

// namespaceChanged queues the pods of the namespace of obj (a
// NetworkPolicy that appeared, changed or went).
func (c *Controller) namespaceChanged(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	np, ok := obj.(*networkingv1.NetworkPolicy)
	if !ok {
		return
	}
	pods, err := c.pods.Pods(np.Namespace).List(everything)
	if err != nil {
		return
	}
	for _, p := range pods {
		c.enqueue(p)
	}
}

func (c *Controller) enqueue(obj any) {
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.queue.Add(key)
}

func (c *Controller) forget(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if p, ok := obj.(*corev1.Pod); ok {
		c.mu.Lock()
		delete(c.state, p.UID)
		c.mu.Unlock()
	}
}

// Resync queues every cached pod: the policy changed.
func (c *Controller) Resync() {
	pods, err := c.pods.List(everything)
	if err != nil {
		return
	}
	for _, p := range pods {
		c.enqueue(p)
	}
}

// Run starts the informer and the workers and blocks until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	c.factory.Start(ctx.Done())
	defer c.factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return ctx.Err()
	}
	// NetworkPolicies get a little longer: judging pods before they are
	// known would report every pod as unjudgeable.
	npCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	if !cache.WaitForCacheSync(npCtx.Done(), c.nps.synced) && ctx.Err() == nil {
		c.log.Warn("NetworkPolicies cannot be listed (the agent needs list and watch on networkpolicies); networkPolicyCoverage reports pods as unjudged until they can")
	}
	cancel()
	c.log.Info("continuous checks started", "period", c.opts.Period.String(), "dry_run", c.contain.DryRun(),
		"terminate_per_minute", c.contain.TerminateRate())
	var wg sync.WaitGroup
	for range c.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.next(ctx) {
			}
		}()
	}
	if c.opts.Reports != nil {
		wg.Add(1)
		go func() { defer wg.Done(); c.reportLoop(ctx) }()
	}
	t := time.NewTicker(c.opts.Period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			c.queue.ShutDown()
			wg.Wait()
			return nil
		case <-t.C:
			c.Resync()
		}
	}
}

func (c *Controller) next(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	retry, err := c.sync(ctx, key)
	switch {
	case err != nil:
		c.log.Warn("continuous check failed; will retry", "pod", key, "error", err)
		c.queue.AddRateLimited(key)
	case retry > 0:
		c.queue.Forget(key)
		c.queue.AddAfter(key, retry)
	default:
		c.queue.Forget(key)
	}
	return true
}

// sync judges one pod and acts. It returns a delay after which the pod
// must be judged again (a deletion held back by the rate limit).
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := c.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pod.DeletionTimestamp != nil {
		return 0, nil
	}
	compiled := c.opts.Policy()
	var res engine.Result
	if compiled != nil {
		res = compiled.Evaluate(workload.FromPod(pod), policy.TabContinuous, engine.Options{DefaultNamespace: ns, NetworkPolicies: c.nps})
	}
	return c.act(ctx, pod, compiled, res)
}
