package agent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
	"github.com/palisade-dev/palisade/internal/enforce/containment"
	"github.com/palisade-dev/palisade/internal/enforce/responder"
	"github.com/palisade-dev/palisade/internal/enforce/webhook"
	"github.com/palisade-dev/palisade/internal/platform/kubeevent"
)

// cluster is the agent's access to the API server (nil fields without it).
type cluster struct {
	rest    *rest.Config
	client  kubernetes.Interface
	contain *containment.Containment
	// events records Kubernetes Events (containment, segmentation and,
	// with EmitAdmissionEvents, denials).
	events *kubeevent.Recorder
}

// clusterAccess connects to the cluster when the agent acts on pods: the
// continuous checks need it (an error without it), the runtime responses
// use it when they can (without it they only record). The containment is
// shared by both, so that the deletion rate is the agent's.
func clusterAccess(cfg Config, metrics *webhook.Metrics, logger *slog.Logger) (cluster, error) {
	runtimeOn := cfg.RuntimeToken != "" || cfg.RuntimeClientCAFile != ""
	if !cfg.Continuous && !runtimeOn && !cfg.TrivyOperator && !cfg.WatchRoles && !cfg.EmitAdmissionEvents {
		return cluster{}, nil
	}
	restCfg, err := cfg.restConfig()
	if err == nil {
		var client kubernetes.Interface
		client, err = kubernetes.NewForConfig(restCfg)
		if err == nil {
			protected := append([]string{}, cfg.Protected...)
			if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
				protected = append(protected, ns)
			}
			events, err := kubeevent.New(kubeevent.Options{Client: client, Logger: logger.With("component", "kube-events")})
			if err != nil {
				return cluster{}, err
			}
			var verify *containment.Verifier
			switch {
			case !cfg.VerifyIsolation:
			case os.Getenv("KUBERNETES_SERVICE_HOST") == "":
				logger.Info("isolations are not checked by traffic: the agent does not run in a pod")
			default:
				results := containment.NewVerificationMetric()
				metrics.Register(results)
				verify = &containment.Verifier{Results: results}
			}
			contain, err := containment.New(containment.Options{Client: client, DryRun: cfg.DryRun, Verify: verify,
				Protected: protected, TerminateRate: cfg.TerminatePerMinute, Events: events, Logger: logger.With("component", "containment")})
			return cluster{rest: restCfg, client: client, contain: contain, events: events}, err
		}
	}
	if cfg.Continuous || cfg.TrivyOperator || cfg.WatchRoles || cfg.EmitAdmissionEvents {
		return cluster{}, err
	}
	logger.Warn("no access to the cluster: runtime matches are recorded but pods are neither isolated nor terminated", "error", err)
	return cluster{}, nil
}

// RESTConfigGetter gives the client configuration of the cluster the
// agent runs in (the command's kubectl flags are one).
type RESTConfigGetter interface {
	ToRESTConfig() (*rest.Config, error)
}

// restConfig is Kube's configuration, else kubectl's loading rules' (the
// in-cluster service account when there is no kubeconfig).
func (c *Config) restConfig() (*rest.Config, error) {
	var (
		cfg *rest.Config
		err error
	)
	if c.Kube != nil {
		cfg, err = c.Kube.ToRESTConfig()
	} else {
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), nil).ClientConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "palisade"
	return cfg, nil
}

// clientPods reads pods with the API (runtime matches are rare: one GET
// each is cheaper than caching every pod).
type clientPods struct{ client kubernetes.Interface }

func (c clientPods) GetPod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	return c.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
}

// startRuntime compiles the rulesets (built-in, then --runtime-rules, a
// later one shadowing an earlier one of the same name) and builds the
// responder.
func startRuntime(cfg Config, src source, cl cluster, sink event.Sink, metrics *webhook.Metrics, logger *slog.Logger) (*responder.Responder, error) {
	rulesets, err := ruleset.Builtin()
	if err != nil {
		return nil, err
	}
	for _, spec := range cfg.RuntimeRules {
		sp, err := ruleset.ParseSpec(spec)
		if err != nil {
			return nil, fmt.Errorf("--runtime-rules %s: %w", spec, err)
		}
		loaded, diags, err := ruleset.LoadSpec(sp)
		if err != nil {
			return nil, fmt.Errorf("--runtime-rules %s: %w", spec, err)
		}
		for _, d := range diags {
			if d.Severity == falco.Warning && d.Code != falco.WarnNotEvaluated {
				logger.Warn("runtime rules", "diagnostic", d.String())
			}
		}
		if diags.HasErrors() {
			return nil, fmt.Errorf("--runtime-rules %s does not load:\n%w", spec, diags.Err())
		}
		rulesets = append(rulesets, loaded...)
	}
	set := ruleset.NewSet(rulesets...)
	current := func() *ruleset.Set { return set }
	if managed, ok := src.(rulesetSource); ok {
		current = managedSet(rulesets, managed)
	}
	m := responder.NewMetrics()
	metrics.Register(m.Collectors()...)
	opts := responder.Options{Policy: src.Current, Rulesets: current, Contain: cl.contain,
		Sink: sink, Cluster: cfg.Cluster, Metrics: m, Logger: logger.With("component", "runtime")}
	if cl.client != nil {
		opts.Pods = clientPods{cl.client}
	}
	logger.Info("runtime rulesets loaded", "rulesets", set.Names())
	return responder.New(opts)
}

// rulesetSource is a policy source that also brings rulesets (the
// console's, bound by its policy; those written beside the policy in its
// file).
type rulesetSource interface {
	Rulesets() []*ruleset.Ruleset
}

// managedSet returns the rulesets in force: the agent's own, then the
// policy source's (which shadow them by name), rebuilt when those change.
func managedSet(own []*ruleset.Ruleset, src rulesetSource) func() *ruleset.Set {
	type built struct {
		from []*ruleset.Ruleset
		set  *ruleset.Set
	}
	var last atomic.Pointer[built]
	return func() *ruleset.Set {
		from := src.Rulesets()
		if b := last.Load(); b != nil && sameRulesets(b.from, from) {
			return b.set
		}
		b := &built{from: from, set: ruleset.NewSet(append(append([]*ruleset.Ruleset{}, own...), from...)...)}
		last.Store(b)
		return b.set
	}
}

func sameRulesets(a, b []*ruleset.Ruleset) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
