package agent

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-dev/palisade/internal/console/agentclient"
	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/platform/atomicfile"
	"github.com/palisade-dev/palisade/internal/supply/scanreport"
)

// consoleScans gives a managed agent the console's scan results for the
// images its cluster runs. Every interval it asks the console about the
// images running in the cluster (when the agent can list pods) and those
// admission asked about, and replaces the "console" source with the
// answer, saved in the state directory for restarts without the console.
// An image admission asks about that the agent's index does not hold is
// looked up at the console at once (bounded by missTimeout); the answer,
// found or not, is kept until the next sync.
type consoleScans struct {
	client  *agentclient.Client
	src     *scanreport.Sources
	metrics *scanMetrics
	logger  *slog.Logger
	// pods lists the cluster's pods; nil without access to the cluster.
	pods      kubernetes.Interface
	stateFile string

	interval    time.Duration
	missTimeout time.Duration
	// forget drops an image admission asked about from the sync after
	// this long without being asked again.
	forget time.Duration

	mu sync.Mutex
	// asked are the images admission looked up, with when.
	asked map[agentclient.ImageQuery]time.Time
	// fetched are the console's answers to lookups since the last sync
	// (nil: the console has nothing for the image).
	fetched map[agentclient.ImageQuery]*scanresult.Image
	// inflight are the lookups under way, so that concurrent reviews of
	// one image ask once.
	inflight map[agentclient.ImageQuery]chan struct{}
}

func newConsoleScans(client *agentclient.Client, src *scanreport.Sources, m *scanMetrics, pods kubernetes.Interface, stateDir string, logger *slog.Logger) *consoleScans {
	return &consoleScans{
		client: client, src: src, metrics: m, pods: pods, logger: logger.With("source", sourceConsole),
		stateFile: filepath.Join(stateDir, "scan-results.json"),
		interval:  time.Minute, missTimeout: 2 * time.Second, forget: 24 * time.Hour,
		asked: map[agentclient.ImageQuery]time.Time{}, fetched: map[agentclient.ImageQuery]*scanresult.Image{}, inflight: map[agentclient.ImageQuery]chan struct{}{},
	}
}

// query is what the console is asked about a container's image.
func query(r image.Ref, digest string) agentclient.ImageQuery {
	if digest == "" {
		digest = r.Digest
	}
	return agentclient.ImageQuery{Image: r.Path, Digest: digest}
}

// LookupRef implements rules.ScanResults: the agent's index first, then
// the console.
func (c *consoleScans) LookupRef(r image.Ref, digest string) (*scanresult.Image, bool) {
	if im, ok := c.src.LookupRef(r, digest); ok || r.Err != nil {
		return im, ok
	}
	q := query(r, digest)
	for {
		c.mu.Lock()
		c.asked[q] = time.Now()
		if im, done := c.fetched[q]; done {
			c.mu.Unlock()
			return im, im != nil
		}
		wait, busy := c.inflight[q]
		if !busy {
			wait = make(chan struct{})
			c.inflight[q] = wait
			c.mu.Unlock()
			im := c.fetch(q)
			c.mu.Lock()
			c.fetched[q] = im
			delete(c.inflight, q)
			close(wait)
			c.mu.Unlock()
			return im, im != nil
		}
		c.mu.Unlock()
		<-wait
	}
}

// fetch asks the console about one image; nil when it has nothing or
// cannot be reached (logged).
func (c *consoleScans) fetch(q agentclient.ImageQuery) *scanresult.Image {
	ctx, cancel := context.WithTimeout(context.Background(), c.missTimeout)
	defer cancel()
	res, err := c.client.ScanResults(ctx, []agentclient.ImageQuery{q})
	if err != nil {
		c.metrics.errors.WithLabelValues(sourceConsole).Inc()
		c.logger.Warn("the console could not be asked for an image's scan results: it counts as unscanned until the next sync",
			"image", q.Image, "error", err)
		return nil
	}
	if len(res) == 1 && res[0].Found {
		return res[0].Result
	}
	return nil
}

// Run loads the saved results, then syncs every interval until ctx ends.
func (c *consoleScans) Run(ctx context.Context) {
	if images, err := c.load(); err != nil {
		c.logger.Warn("saved scan results not read", "file", c.stateFile, "error", err)
	} else if len(images) > 0 {
		c.metrics.set(c.src, sourceConsole, images, c.logger)
		c.logger.Info("saved scan results loaded", "images", len(images))
	}
	for {
		c.sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.interval):
		}
	}
}

// sync asks the console about every image the cluster runs or admission
// asked about, and replaces the console source with the answer.
func (c *consoleScans) sync(ctx context.Context) {
	queries, err := c.wanted(ctx)
	if err != nil {
		c.logger.Warn("cannot list the cluster's pods; syncing the images admission asked about", "error", err)
	}
	if len(queries) == 0 {
		return
	}
	res, err := c.client.ScanResults(ctx, queries)
	if err != nil {
		if ctx.Err() == nil {
			c.metrics.errors.WithLabelValues(sourceConsole).Inc()
			c.logger.Warn("scan results not synced from the console; the last ones stay", "error", err)
		}
		return
	}
	var found []*scanresult.Image
	for _, r := range res {
		if r.Found && r.Result != nil {
			found = append(found, r.Result)
		}
	}
	c.metrics.set(c.src, sourceConsole, found, c.logger)
	c.mu.Lock()
	clear(c.fetched) // the index now answers for them
	c.mu.Unlock()
	if err := c.save(found); err != nil {
		c.logger.Warn("scan results not saved", "file", c.stateFile, "error", err)
	}
	c.logger.Debug("scan results synced from the console", "asked", len(queries), "found", len(found))
}

// wanted are the images to sync: those of the cluster's pods (spec and
// running digests) and those admission asked about recently.
func (c *consoleScans) wanted(ctx context.Context) ([]agentclient.ImageQuery, error) {
	set := map[agentclient.ImageQuery]bool{}
	c.mu.Lock()
	now := time.Now()
	for q, at := range c.asked {
		if now.Sub(at) > c.forget {
			delete(c.asked, q)
			continue
		}
		set[q] = true
	}
	c.mu.Unlock()
	var err error
	if c.pods != nil {
		var list *corev1.PodList
		// ResourceVersion "0": served from the API server's cache.
		list, err = c.pods.CoreV1().Pods("").List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err == nil {
			for i := range list.Items {
				for _, q := range podImages(&list.Items[i]) {
					set[q] = true
				}
			}
		}
	}
	out := make([]agentclient.ImageQuery, 0, len(set))
	for q := range set {
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b agentclient.ImageQuery) int {
		return cmp.Or(strings.Compare(a.Image, b.Image), strings.Compare(a.Digest, b.Digest))
	})
	return out, err
}

// podImages are the images a pod names, with the digest each container
// runs when its status says.
func podImages(p *corev1.Pod) []agentclient.ImageQuery {
	running := map[string]string{}
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses, p.Status.EphemeralContainerStatuses} {
		for _, s := range list {
			running[s.Name] = s.ImageID
		}
	}
	var out []agentclient.ImageQuery
	add := func(name, img string) {
		r := image.Parse(img)
		if r.Err != nil {
			return
		}
		q := query(r, "")
		if id := running[name]; q.Digest == "" && id != "" {
			if d := digestOf(id); d != "" {
				q.Digest = d
			}
		}
		out = append(out, q)
	}
	for _, c := range p.Spec.InitContainers {
		add(c.Name, c.Image)
	}
	for _, c := range p.Spec.Containers {
		add(c.Name, c.Image)
	}
	for _, c := range p.Spec.EphemeralContainers {
		add(c.Name, c.Image)
	}
	return out
}

// digestOf reads the digest of a container status's imageID
// ("docker.io/library/nginx@sha256:...", "docker-pullable://...@sha256:...");
// "" when it holds none.
func digestOf(imageID string) string {
	if i := strings.LastIndexByte(imageID, '@'); i >= 0 {
		return imageID[i+1:]
	}
	return ""
}

// load reads the results saved by the last sync.
func (c *consoleScans) load() ([]*scanresult.Image, error) {
	data, err := os.ReadFile(c.stateFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var images []*scanresult.Image
	return images, json.Unmarshal(data, &images)
}

func (c *consoleScans) save(images []*scanresult.Image) error {
	data, err := json.Marshal(images)
	if err != nil {
		return err
	}
	return atomicfile.Write(c.stateFile, data)
}
