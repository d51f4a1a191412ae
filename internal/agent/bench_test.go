package agent

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/engine"
)

// BenchmarkPolicyPropagation measures the time from PATCH
// /api/v1/clusters/{name} (a new policy assigned, through the REST API over
// loopback HTTP) to the managed agent enforcing it: the long poll wakes, the
// policy is fetched, compiled, saved to disk and swapped in.
//
//	go test ./internal/agent -run '^$' -bench PolicyPropagation -benchtime 200x
func BenchmarkPolicyPropagation(b *testing.B) {
	c := newConsole(b)
	c.createPolicy("strict", "block")
	c.createPolicy("lenient", "log")
	c.assign("lenient")
	swapped := make(chan string, 16)
	startManagedWatched(b, c, b.TempDir(), func(p *engine.Compiled, etag string, err error) {
		if err == nil && p != nil {
			swapped <- p.Policy.Metadata.Name
		}
	})
	if got := <-swapped; got != "lenient" {
		b.Fatalf("first policy %q", got)
	}
	names := []string{"strict", "lenient"}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		want := names[i%2]
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPatch, c.url()+"/api/v1/clusters/prod", strings.NewReader(fmt.Sprintf(`{"policy": %q}`, want)))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if got := <-swapped; got != want {
			b.Fatalf("enforcing %q, want %q", got, want)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
