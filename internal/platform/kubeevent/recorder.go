package kubeevent

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/lru"
)

// ReportingController is every event's reportingController.
const ReportingController = "palisade.dev/agent"

// The event types Kubernetes allows.
const (
	TypeNormal  = corev1.EventTypeNormal
	TypeWarning = corev1.EventTypeWarning
)

// Limits. The per-object bucket is client-go's EventCorrelator default
// (25 at once, then one every 5 minutes per object); the agent-wide one
// bounds what a burst of distinct objects can send.
const (
	DefaultRate  = 5  // events per second, agent-wide
	DefaultBurst = 50 // events at once, agent-wide
	objectBurst  = 25
	objectRefill = 5 * time.Minute
	objectsKept  = 4096
	// NoteMax is the API server's limit on an event's note, in bytes.
	NoteMax = 1024
)

// Options configure a Recorder.
type Options struct {
	Client kubernetes.Interface
	// Rate and Burst bound events across every object (DefaultRate and
	// DefaultBurst when zero).
	Rate   float64
	Burst  int
	Logger *slog.Logger
}

// Recorder records events. A nil *Recorder records nothing, so callers
// can hold one whether or not the agent reaches a cluster.
type Recorder struct {
	broadcaster events.EventBroadcaster
	rec         events.EventRecorder
	log         *slog.Logger
	global      *rate.Limiter
	dropped     *prometheus.CounterVec
	recorded    *prometheus.CounterVec
	warn        rate.Sometimes

	mu      sync.Mutex
	objects *lru.Cache // object key → *rate.Limiter
}

// New returns a Recorder; Start sends its events.
func New(opts Options) (*Recorder, error) {
	if opts.Client == nil {
		return nil, errors.New("kubeevent: a Kubernetes client is required")
	}
	if opts.Rate < 0 || opts.Burst < 0 {
		return nil, errors.New("kubeevent: the rate and burst cannot be negative")
	}
	if opts.Rate == 0 {
		opts.Rate = DefaultRate
	}
	if opts.Burst == 0 {
		opts.Burst = DefaultBurst
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: opts.Client.EventsV1()})
	return &Recorder{
		broadcaster: b,
		rec:         b.NewRecorder(scheme.Scheme, ReportingController),
		log:         opts.Logger,
		global:      rate.NewLimiter(rate.Limit(opts.Rate), opts.Burst),
		objects:     lru.New(objectsKept),
		warn:        rate.Sometimes{Interval: time.Minute},
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_kube_events_dropped_total",
			Help: "Kubernetes Events not sent because a limit held them back, by limit (object, agent)."}, []string{"limit"}),
		recorded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_kube_events_total",
			Help: "Kubernetes Events handed to the events broadcaster, by reason."}, []string{"reason"}),
	}, nil
}

// Start sends the recorded events to the API server until ctx ends.
func (r *Recorder) Start(ctx context.Context) error {
	if r == nil {
		return nil
	}
	return r.broadcaster.StartRecordingToSinkWithContext(ctx)
}

// Shutdown stops the broadcaster; events not yet sent are lost.
func (r *Recorder) Shutdown() {
	if r != nil {
		r.broadcaster.Shutdown()
	}
}

// Collectors lists the metrics for a registry.
func (r *Recorder) Collectors() []prometheus.Collector {
	if r == nil {
		return nil
	}
	return []prometheus.Collector{r.dropped, r.recorded}
}

// Event records an event on regarding, with related (nil when none). The
// note is sent as it is (no formatting), cut to NoteMax bytes. An event
// over the limits is dropped and counted.
func (r *Recorder) Event(regarding, related *corev1.ObjectReference, eventType, reason, action, note string) {
	if r == nil || regarding == nil {
		return
	}
	if !r.allowObject(regarding) {
		r.drop("object", regarding, reason)
		return
	}
	if !r.global.Allow() {
		r.drop("agent", regarding, reason)
		return
	}
	r.recorded.WithLabelValues(reason).Inc()
	var rel runtime.Object // a nil *ObjectReference would not be nil here
	if related != nil {
		rel = related
	}
	r.rec.Eventf(regarding, rel, eventType, reason, action, "%s", Truncate(note, NoteMax))
}

// allowObject takes a token from regarding's bucket.
func (r *Recorder) allowObject(ref *corev1.ObjectReference) bool {
	key := strings.Join([]string{ref.APIVersion, ref.Kind, ref.Namespace, ref.Name, string(ref.UID)}, "\x00")
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.objects.Get(key); ok {
		return l.(*rate.Limiter).Allow()
	}
	l := rate.NewLimiter(rate.Every(objectRefill), objectBurst)
	r.objects.Add(key, l)
	return l.Allow()
}

func (r *Recorder) drop(limit string, ref *corev1.ObjectReference, reason string) {
	r.dropped.WithLabelValues(limit).Inc()
	r.warn.Do(func() {
		r.log.Warn("Kubernetes Events held back by the rate limit (counted in palisade_kube_events_dropped_total; logged at most once a minute)",
			"limit", limit, "object", ref.Kind+" "+ref.Namespace+"/"+ref.Name, "reason", reason)
	})
}

// Truncate cuts s to at most max bytes on a character boundary, ending
// with "..." when it cut.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
