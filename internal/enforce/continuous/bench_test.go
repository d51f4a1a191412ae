package continuous

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/platform/benchdata"
)

// runningStatus is the status of a running pod as the kubelet reports it:
// what an untrimmed informer would keep for every pod.
const runningStatus = `{"phase":"Running","conditions":[` +
	`{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-03-01T12:00:03Z"},` +
	`{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-03-01T12:00:05Z"},` +
	`{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-03-01T12:00:09Z"},` +
	`{"type":"ContainersReady","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-03-01T12:00:09Z"},` +
	`{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-03-01T12:00:00Z"}],` +
	`"hostIP":"10.0.3.17","hostIPs":[{"ip":"10.0.3.17"}],"podIP":"10.244.3.41","podIPs":[{"ip":"10.244.3.41"}],"startTime":"2026-03-01T12:00:00Z",` +
	`"initContainerStatuses":[{"name":"migrate","state":{"terminated":{"exitCode":0,"reason":"Completed","startedAt":"2026-03-01T12:00:02Z","finishedAt":"2026-03-01T12:00:04Z","containerID":"containerd://5f0c"}},"lastState":{},"ready":true,"restartCount":0,"image":"acme.azurecr.io/shop/checkout-migrate:1.14.2","imageID":"acme.azurecr.io/shop/checkout-migrate@sha256:1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a","containerID":"containerd://5f0c","started":false}],` +
	`"containerStatuses":[{"name":"checkout","state":{"running":{"startedAt":"2026-03-01T12:00:06Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"acme.azurecr.io/shop/checkout:1.14.2","imageID":"acme.azurecr.io/shop/checkout@sha256:9a8b7c6d5e4f30211a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081","containerID":"containerd://8c1d","started":true},` +
	`{"name":"metrics","state":{"running":{"startedAt":"2026-03-01T12:00:06Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"acme.azurecr.io/observability/exporter:v0.15.0","imageID":"acme.azurecr.io/observability/exporter@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0","containerID":"containerd://9d2e","started":true}],` +
	`"qosClass":"Burstable"}`

// benchPods decodes n pods as the informer does (one in ten violating),
// spread over 50 namespaces, trimmed or not.
func benchPods(tb testing.TB, n int, trim bool) []*corev1.Pod {
	tb.Helper()
	raws := [2]string{}
	for i, compliant := range []bool{true, false} {
		raw := benchdata.Object("Pod", compliant)
		raws[i] = strings.Replace(raw, `"status":{"phase":"Pending","qosClass":"Burstable"}`, `"status":`+runningStatus, 1)
	}
	pods := make([]*corev1.Pod, n)
	for i := range pods {
		p := &corev1.Pod{}
		violating := 0
		if i%10 == 0 {
			violating = 1
		}
		if err := json.Unmarshal([]byte(raws[violating]), p); err != nil {
			tb.Fatal(err)
		}
		p.Name = fmt.Sprintf("checkout-%05d", i)
		p.Namespace = fmt.Sprintf("team-%02d", i%50)
		p.UID = types.UID(fmt.Sprintf("uid-%05d", i))
		if trim {
			if _, err := Trim(p); err != nil {
				tb.Fatal(err)
			}
		}
		pods[i] = p
	}
	return pods
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// countSink counts events.
type countSink struct{ n atomic.Int64 }

func (s *countSink) Record(_ context.Context, evs []event.Event) error {
	s.n.Add(int64(len(evs)))
	return nil
}

// BenchmarkFullPass judges every pod of an informer cache of 10,000 pods
// against the continuous tab of the log-all preset (every rule, log), as
// the periodic pass and a policy change do, on two workers. "first" is a
// pass that reports every violation; "steady" is a later pass, where
// nothing changed and nothing is reported. It also reports the memory the
// cache holds per pod, trimmed (what the agent keeps) and untrimmed.
//
//	go test ./internal/enforce/continuous -run '^$' -bench FullPass -benchmem -benchtime 10x
func BenchmarkFullPass(b *testing.B) {
	const n = 10000
	reg, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	// The log-all preset's rules, in the continuous tab where they apply
	// there (cel needs properties: left out).
	preset, err := policy.Preset("log-all", reg)
	if err != nil {
		b.Fatal(err)
	}
	var cont []policy.Rule
	for _, r := range preset.Spec.ClusterWide.Deployment.Rules {
		if def, ok := reg.Get(r.Rule); ok && slices.Contains(def.Tabs, policy.TabContinuous) {
			cont = append(cont, r)
		}
	}
	preset.Spec.ClusterWide.Continuous = &policy.RuleTab{Rules: cont}
	compiled, err := engine.Compile(preset, reg)
	if err != nil {
		b.Fatal(err)
	}
	before := heapInUse()
	untrimmed := benchPods(b, n, false)
	full := heapInUse() - before
	runtime.KeepAlive(untrimmed)
	before = heapInUse()
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, p := range benchPods(b, n, true) {
		if err := indexer.Add(p); err != nil {
			b.Fatal(err)
		}
	}
	trimmed := heapInUse() - before
	keys := indexer.ListKeys()
	for _, mode := range []string{"first", "steady"} {
		b.Run(mode, func(b *testing.B) {
			sink := &countSink{}
			c := &Controller{opts: Options{Policy: func() *engine.Compiled { return compiled }, Sink: sink, Workers: 2, Now: time.Now},
				pods: corelisters.NewPodLister(indexer), state: map[types.UID]*podState{}}
			c.log = discardLogger
			pass := func() {
				var wg sync.WaitGroup
				for w := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := w; i < len(keys); i += 2 {
							if _, err := c.sync(context.Background(), keys[i]); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
			}
			if mode == "steady" {
				pass()
				sink.n.Store(0)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if mode == "first" {
					b.StopTimer()
					c.state = map[types.UID]*podState{}
					sink.n.Store(0)
					b.StartTimer()
				}
				pass()
			}
			b.StopTimer()
			b.ReportMetric(float64(sink.n.Load())/float64(max(b.N, 1)), "events/pass")
			b.ReportMetric(float64(trimmed)/n, "cached-B/pod")
			b.ReportMetric(float64(full)/n, "untrimmed-B/pod")
		})
	}
}

var discardLogger = slog.New(slog.DiscardHandler)
