package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/supply/scanreport"
)

// The agent's scan-result sources, merged in one scanreport.Sources.
const (
	sourceDir           = "dir"
	sourceTrivyOperator = "trivy-operator"
	sourceConsole       = "console"
)

// scanMetrics count what the scan-result sources hold and their errors.
type scanMetrics struct {
	images *prometheus.GaugeVec
	errors *prometheus.CounterVec
}

func newScanMetrics() *scanMetrics {
	return &scanMetrics{
		images: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "palisade_scan_results_images",
			Help: "Images with scan results, per source (dir, trivy-operator, console)."}, []string{"source"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_scan_results_errors_total",
			Help: "Scan reports or syncs that failed, per source (each is logged with its file or resource)."}, []string{"source"}),
	}
}

func (m *scanMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.images, m.errors}
}

// set replaces a source's images and records it.
func (m *scanMetrics) set(src *scanreport.Sources, name string, images []*scanresult.Image, logger *slog.Logger) {
	if err := src.Set(name, images); err != nil {
		m.errors.WithLabelValues(name).Inc()
		logger.Warn("some scan results were left out", "source", name, "error", err)
	}
	m.images.WithLabelValues(name).Set(float64(len(images)))
}

// watchScanDir reads the report files under path at start, then every
// interval, and feeds the changes to src. A file that cannot be read is
// logged (once per change) and keeps its last results.
func watchScanDir(ctx context.Context, path string, interval time.Duration, src *scanreport.Sources, m *scanMetrics, logger *slog.Logger) {
	d := scanreport.NewDir(path)
	logger = logger.With("source", sourceDir, "path", path)
	if _, err := os.Stat(path); err != nil {
		// A missing folder is empty (a ConfigMap volume may come later),
		// but a mistyped path must not pass silently.
		logger.Warn("the scan results folder cannot be read; it counts as empty and is checked again every reload", "error", err)
	}
	reload := func() {
		ch, err := d.Reload()
		if err != nil {
			m.errors.WithLabelValues(sourceDir).Inc()
			logger.Error("cannot list the scan results", "error", err)
			return
		}
		for _, e := range ch.Errors {
			m.errors.WithLabelValues(sourceDir).Inc()
			logger.Error("scan report not read; its previous results stay", "error", e)
		}
		for _, w := range ch.Warnings {
			logger.Warn("scan report", "warning", w.String())
		}
		if ch.Changed {
			m.set(src, sourceDir, d.Images(), logger)
			logger.Info("scan results loaded", "files", d.Files(), "read", len(ch.Read), "deleted", len(ch.Deleted), "images", src.Len())
		}
	}
	reload()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			reload()
		}
	}
}

// The Trivy Operator resources the agent reads.
var trivyOperatorResources = []schema.GroupVersionResource{
	{Group: "aquasecurity.github.io", Version: "v1alpha1", Resource: "vulnerabilityreports"},
	{Group: "aquasecurity.github.io", Version: "v1alpha1", Resource: "clustervulnerabilityreports"},
	{Group: "aquasecurity.github.io", Version: "v1alpha1", Resource: "exposedsecretreports"},
}

// trivyOperator follows Trivy Operator's reports in the cluster.
type trivyOperator struct {
	client    dynamic.Interface
	discovery discovery.DiscoveryInterface
	src       *scanreport.Sources
	metrics   *scanMetrics
	logger    *slog.Logger
	// settle is how long changes are gathered before the index is
	// rebuilt: an operator rescanning writes many reports at once.
	settle time.Duration

	mu      sync.Mutex
	reports map[string][]*scanresult.Image // by resource and namespace/name
	dirty   chan struct{}
}

func newTrivyOperator(client dynamic.Interface, disc discovery.DiscoveryInterface, src *scanreport.Sources, m *scanMetrics, logger *slog.Logger) *trivyOperator {
	return &trivyOperator{client: client, discovery: disc, src: src, metrics: m, settle: time.Second,
		logger: logger.With("source", sourceTrivyOperator), reports: map[string][]*scanresult.Image{}, dirty: make(chan struct{}, 1)}
}

// newTrivyOperatorFor follows Trivy Operator's reports through the agent's
// access to the cluster.
func newTrivyOperatorFor(cl cluster, src *scanreport.Sources, m *scanMetrics, logger *slog.Logger) (*trivyOperator, error) {
	client, err := dynamic.NewForConfig(cl.rest)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cl.rest)
	if err != nil {
		return nil, err
	}
	return newTrivyOperator(client, disc, src, m, logger), nil
}

// served returns the Trivy Operator resources the API server serves.
func (t *trivyOperator) served() []schema.GroupVersionResource {
	list, err := t.discovery.ServerResourcesForGroupVersion("aquasecurity.github.io/v1alpha1")
	if err != nil {
		return nil
	}
	var out []schema.GroupVersionResource
	for _, gvr := range trivyOperatorResources {
		for _, r := range list.APIResources {
			if r.Name == gvr.Resource {
				out = append(out, gvr)
			}
		}
	}
	return out
}

// Run waits for Trivy Operator's resources to be served (checking every
// minute), then follows them until ctx ends.
func (t *trivyOperator) Run(ctx context.Context) {
	var gvrs []schema.GroupVersionResource
	for {
		if gvrs = t.served(); len(gvrs) > 0 {
			break
		}
		t.logger.Warn("Trivy Operator's report resources are not served (is Trivy Operator installed?); checking again in a minute")
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Minute):
		}
	}
	factory := dynamicinformer.NewDynamicSharedInformerFactory(t.client, 10*time.Minute)
	for _, gvr := range gvrs {
		res := gvr.Resource
		_, err := factory.ForResource(gvr).Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { t.update(res, obj) },
			UpdateFunc: func(_, obj any) { t.update(res, obj) },
			DeleteFunc: func(obj any) { t.remove(res, obj) },
		})
		if err != nil {
			t.logger.Error("cannot watch Trivy Operator reports", "resource", res, "error", err)
			return
		}
	}
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	t.logger.Info("following Trivy Operator reports", "resources", len(gvrs))
	defer factory.Shutdown()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.dirty:
		}
		select { // gather a burst of changes into one rebuild
		case <-ctx.Done():
			return
		case <-time.After(t.settle):
		}
		t.publish()
	}
}

func key(resource string, u *unstructured.Unstructured) string {
	return resource + "/" + u.GetNamespace() + "/" + u.GetName()
}

func (t *trivyOperator) update(resource string, obj any) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	k := key(resource, u)
	data, err := json.Marshal(u.Object)
	if err == nil {
		var rep *scanreport.Report
		if rep, err = scanreport.Import(k, data); err == nil {
			t.store(k, rep.Images)
			return
		}
	}
	t.metrics.errors.WithLabelValues(sourceTrivyOperator).Inc()
	t.logger.Error("Trivy Operator report not read; its previous results stay", "report", k, "error", err)
}

func (t *trivyOperator) remove(resource string, obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if u, ok := obj.(*unstructured.Unstructured); ok {
		t.store(key(resource, u), nil)
	}
}

func (t *trivyOperator) store(k string, images []*scanresult.Image) {
	t.mu.Lock()
	if images == nil {
		delete(t.reports, k)
	} else {
		t.reports[k] = images
	}
	t.mu.Unlock()
	select {
	case t.dirty <- struct{}{}:
	default:
	}
}

func (t *trivyOperator) publish() {
	t.mu.Lock()
	var all []*scanresult.Image
	for _, images := range t.reports {
		all = append(all, images...)
	}
	t.mu.Unlock()
	t.metrics.set(t.src, sourceTrivyOperator, all, t.logger)
}
