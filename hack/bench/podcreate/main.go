// Command podcreate measures pod-create latency through a real API server:
// it creates -n pods (after -warmup unmeasured ones) from -c workers, one
// after another within each worker, prints p50/p90/p99/max and the creation
// rate, and deletes them. hack/bench/podcreate.sh runs it with and without
// Palisade's webhook registered; hack/bench/peers.sh beside Kyverno's and
// Gatekeeper's.
package main

import (
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	server := flag.String("server", "", "API server URL (https://127.0.0.1:PORT)")
	token := flag.String("token", "", "bearer token")
	ns := flag.String("namespace", "bench", "namespace to create pods in")
	n := flag.Int("n", 2000, "measured pod creations")
	warmup := flag.Int("warmup", 200, "unmeasured creations first")
	workers := flag.Int("c", 1, "concurrent workers sharing the -n creations")
	flag.Parse()
	if *server == "" || *token == "" {
		fmt.Fprintln(os.Stderr, "podcreate: -server and -token are required")
		os.Exit(2)
	}
	if *workers < 1 || *n < *workers {
		fmt.Fprintf(os.Stderr, "podcreate: -c must be between 1 and -n (%d), got %d\n", *n, *workers)
		os.Exit(2)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // loopback test control plane only
		ForceAttemptHTTP2: true, MaxIdleConnsPerHost: max(4, *workers),
	}}
	url := fmt.Sprintf("%s/api/v1/namespaces/%s/pods", *server, *ns)
	body := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"bench-","labels":{"app":"bench"}},` +
		`"spec":{"automountServiceAccountToken":false,"containers":[{"name":"app","image":"registry.example.com/app:1.0",` +
		`"resources":{"limits":{"cpu":"100m","memory":"64Mi"}},"securityContext":{"runAsNonRoot":true,"runAsUser":1000,` +
		`"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}}}]}}`)
	create := func() (time.Duration, error) {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+*token)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != http.StatusCreated {
			return 0, fmt.Errorf("status %d: %s", resp.StatusCode, b)
		}
		return d, nil
	}
	for i := 0; i < *warmup; i++ {
		if _, err := create(); err != nil {
			fmt.Fprintln(os.Stderr, "podcreate:", err)
			os.Exit(1)
		}
	}
	// Each worker creates its share one after another; the rate is all
	// measured creations over the wall time of the whole phase.
	lat := make([]time.Duration, *n)
	errs := make(chan error, *workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < *n; i += *workers {
				d, err := create()
				if err != nil {
					errs <- err
					return
				}
				lat[i] = d
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		fmt.Fprintln(os.Stderr, "podcreate:", err)
		os.Exit(1)
	}
	total := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("pods=%d p50=%s p90=%s p99=%s max=%s rate=%.0f/s\n", len(lat), q(.5), q(.9), q(.99), lat[len(lat)-1], float64(len(lat))/total.Seconds())
	req, _ := http.NewRequest(http.MethodDelete, url+"?labelSelector=app%3Dbench", nil)
	req.Header.Set("Authorization", "Bearer "+*token)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
	}
}
