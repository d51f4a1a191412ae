package continuous

import (
	"context"
	"time"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/workload"
	"github.com/palisade-dev/palisade/internal/enforce/policyreport"
)

// ReportPublisher writes per-namespace PolicyReports (policyreport.Publisher
// over the dynamic client).
type ReportPublisher interface {
	Publish(ctx context.Context, reports []policyreport.PolicyReport, namespace string) (policyreport.Stats, error)
}

// reportLoop publishes the continuous tab's results as PolicyReports once
// the cache is synced and then every interval: a summary per namespace
// (counts and the failing pods), never one object per finding.
func (c *Controller) reportLoop(ctx context.Context) {
	t := time.NewTicker(c.opts.ReportInterval)
	defer t.Stop()
	for {
		c.publishReports(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Controller) publishReports(ctx context.Context) {
	compiled := c.opts.Policy()
	if compiled == nil {
		return
	}
	pods, err := c.pods.List(everything)
	if err != nil {
		return
	}
	b := policyreport.NewBuilder(policyreport.Options{Policy: compiled.Policy.Metadata.Name, Tab: policy.TabContinuous, Now: c.opts.Now()})
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		obj := workload.FromPod(pod)
		res := compiled.Evaluate(obj, policy.TabContinuous, engine.Options{DefaultNamespace: pod.Namespace, NetworkPolicies: c.nps})
		b.Add(policyreport.ResourceOf(obj), &res)
	}
	st, err := c.opts.Reports.Publish(ctx, b.Reports(), "")
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("PolicyReports not published", "error", err)
		}
		return
	}
	c.log.Debug("PolicyReports published", "stats", st)
}
