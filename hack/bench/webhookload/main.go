// Command webhookload sends AdmissionReviews to a running palisade agent as
// the kube-apiserver does (POST /validate over HTTPS, HTTP/2 when the
// server offers it) and reports throughput and latency.
//
//	webhookload -url https://127.0.0.1:8443/validate -ca ca.crt -n 200000 -c 64
//
// The reviews are a fixed mix of CREATEs: a Pod (as a ReplicaSet creates
// it) and a Deployment, each compliant with Pod Security "restricted" or
// violating it, in equal parts. Their bodies are built once; each request
// only gets its own uid. Every answer must decode as an
// admission.k8s.io/v1 AdmissionReview carrying the request's uid; it is
// counted as an error otherwise. With -expect-decisions (the default) a
// compliant object must be allowed and a violating one denied, which holds
// under a policy that blocks podSecurityStandard restricted, such as the
// one hack/bench/webhook.sh writes.
//
// The objects mirror those of BenchmarkValidate in internal/enforce/webhook.
//
// Only the standard library: net/http negotiates HTTP/2 over TLS itself.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/palisade-dev/palisade/internal/platform/benchdata"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "url", "https://127.0.0.1:8443/validate?timeout=10s", "the agent's /validate URL")
	flag.IntVar(&cfg.n, "n", 200000, "reviews to send")
	flag.IntVar(&cfg.c, "c", 64, "concurrent requests")
	flag.StringVar(&cfg.ca, "ca", "", "PEM file of the CA that signed the agent's certificate")
	flag.BoolVar(&cfg.insecure, "insecure", false, "do not verify the agent's certificate")
	flag.BoolVar(&cfg.http1, "http1", false, "use HTTP/1.1 (keep-alive) instead of HTTP/2")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "per-request timeout")
	flag.BoolVar(&cfg.expectDecisions, "expect-decisions", true, "count an allowed violating or denied compliant object as an error")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "webhookload:", err)
		os.Exit(1)
	}
}

type config struct {
	url             string
	n, c            int
	ca              string
	insecure        bool
	http1           bool
	timeout         time.Duration
	expectDecisions bool
}

// variant is one of the four reviews, its body split around the uid.
type variant struct {
	name            string
	before, after   []byte
	wantAllowed     bool
	allowed, denied atomic.Int64
}

// Error kinds, in the order they are reported.
const (
	errTransport = iota
	errStatus
	errDecode
	errUID
	errDecision
	numErrKinds
)

var errNames = [numErrKinds]string{"transport", "http status", "undecodable answer", "wrong uid or TypeMeta", "unexpected decision"}

type stats struct {
	latencies []time.Duration // by request number
	errs      [numErrKinds]atomic.Int64
	firstErr  [numErrKinds]atomic.Pointer[string]
	protos    sync.Map // proto -> *atomic.Int64
	bytesOut  atomic.Int64
}

func (s *stats) fail(kind int, format string, args ...any) {
	s.errs[kind].Add(1)
	msg := fmt.Sprintf(format, args...)
	s.firstErr[kind].CompareAndSwap(nil, &msg)
}

func run(cfg config) error {
	if cfg.n <= 0 || cfg.c <= 0 {
		return errors.New("-n and -c must be positive")
	}
	client, err := newClient(cfg)
	if err != nil {
		return err
	}
	variants := []*variant{
		newVariant("Pod", true), newVariant("Pod", false),
		newVariant("Deployment", true), newVariant("Deployment", false),
	}
	st := &stats{latencies: make([]time.Duration, cfg.n)}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range cfg.c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.n {
					return
				}
				send(client, cfg, variants[i%len(variants)], i, st)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	client.CloseIdleConnections()
	return report(os.Stdout, cfg, variants, st, elapsed)
}

func newClient(cfg config) (*http.Client, error) {
	tlsCfg := &tls.Config{InsecureSkipVerify: cfg.insecure}
	if cfg.ca != "" {
		pem, err := os.ReadFile(cfg.ca)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", cfg.ca)
		}
		tlsCfg.RootCAs = pool
	}
	tr := &http.Transport{
		TLSClientConfig:     tlsCfg,
		ForceAttemptHTTP2:   !cfg.http1,
		MaxIdleConns:        cfg.c,
		MaxIdleConnsPerHost: cfg.c,
		IdleConnTimeout:     90 * time.Second,
	}
	if cfg.http1 {
		// A non-nil empty map turns HTTP/2 off.
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: tr, Timeout: cfg.timeout}, nil
}

// answer is the part of an AdmissionReview response that is checked.
type answer struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Response   *struct {
		UID     string `json:"uid"`
		Allowed bool   `json:"allowed"`
	} `json:"response"`
}

func send(client *http.Client, cfg config, v *variant, i int, st *stats) {
	uid := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	body := make([]byte, 0, len(v.before)+len(uid)+len(v.after))
	body = append(append(append(body, v.before...), uid...), v.after...)
	st.bytesOut.Add(int64(len(body)))

	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.url, bytes.NewReader(body))
	if err != nil {
		st.fail(errTransport, "%v", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		st.latencies[i] = time.Since(t0)
		st.fail(errTransport, "%v", err)
		return
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	st.latencies[i] = time.Since(t0)
	n, _ := st.protos.LoadOrStore(resp.Proto, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	if err != nil {
		st.fail(errTransport, "read answer: %v", err)
		return
	}
	if resp.StatusCode != http.StatusOK {
		st.fail(errStatus, "%s: %.200s", resp.Status, data)
		return
	}
	var a answer
	if err := json.Unmarshal(data, &a); err != nil || a.Response == nil {
		st.fail(errDecode, "%v: %.200s", err, data)
		return
	}
	if a.Response.UID != uid || a.APIVersion != "admission.k8s.io/v1" || a.Kind != "AdmissionReview" {
		st.fail(errUID, "sent uid %s, got %s %s uid %q", uid, a.APIVersion, a.Kind, a.Response.UID)
		return
	}
	if a.Response.Allowed {
		v.allowed.Add(1)
	} else {
		v.denied.Add(1)
	}
	if cfg.expectDecisions && a.Response.Allowed != v.wantAllowed {
		st.fail(errDecision, "%s: allowed=%v: %.300s", v.name, a.Response.Allowed, data)
	}
}

func report(w io.Writer, cfg config, variants []*variant, st *stats, elapsed time.Duration) error {
	lat := slices.Clone(st.latencies)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	var errs int64
	for k := range st.errs {
		errs += st.errs[k].Load()
	}
	var protos []string
	st.protos.Range(func(k, v any) bool {
		protos = append(protos, fmt.Sprintf("%s %d", k, v.(*atomic.Int64).Load()))
		return true
	})
	slices.Sort(protos)

	fmt.Fprintf(w, "reviews      %d sent, %d concurrent, %s\n", cfg.n, cfg.c, strings.Join(protos, ", "))
	fmt.Fprintf(w, "elapsed      %.2fs\n", elapsed.Seconds())
	fmt.Fprintf(w, "throughput   %.0f reviews/s (%.1f MB/s of request bodies)\n",
		float64(cfg.n)/elapsed.Seconds(), float64(st.bytesOut.Load())/elapsed.Seconds()/1e6)
	fmt.Fprintf(w, "latency      p50 %s  p90 %s  p99 %s  max %s\n", round(pct(.50)), round(pct(.90)), round(pct(.99)), round(lat[len(lat)-1]))
	for _, v := range variants {
		fmt.Fprintf(w, "  %-22s %7d allowed %7d denied (%d bytes)\n", v.name, v.allowed.Load(), v.denied.Load(), len(v.before)+36+len(v.after))
	}
	fmt.Fprintf(w, "errors       %d\n", errs)
	for k := range st.errs {
		if n := st.errs[k].Load(); n > 0 {
			fmt.Fprintf(w, "  %-22s %d, first: %s\n", errNames[k], n, *st.firstErr[k].Load())
		}
	}
	if errs > 0 {
		return fmt.Errorf("%d of %d reviews failed", errs, cfg.n)
	}
	return nil
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func newVariant(kind string, compliant bool) *variant {
	name := kind + "/violating"
	if compliant {
		name = kind + "/compliant"
	}
	const marker = "\x00uid\x00"
	body := review(kind, compliant, marker)
	before, after, _ := strings.Cut(body, marker)
	return &variant{name: name, before: []byte(before), after: []byte(after), wantAllowed: compliant}
}

// review is an AdmissionReview of a CREATE of the object, as the API
// server sends it.
func review(kind string, compliant bool, uid string) string {
	// A Pod a ReplicaSet creates has only a generateName when the request
	// is built: the request carries no name.
	group, resource, name := "", "pods", ""
	if kind == "Deployment" {
		group, resource, name = "apps", "deployments", "checkout"
	}
	gvk := `{"group":"` + group + `","version":"v1","kind":"` + kind + `"}`
	gvr := `{"group":"` + group + `","version":"v1","resource":"` + resource + `"}`
	return `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"` + uid + `",` +
		`"kind":` + gvk + `,"resource":` + gvr + `,"requestKind":` + gvk + `,"requestResource":` + gvr + `,` +
		`"name":"` + name + `","namespace":"shop","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller",` +
		`"uid":"6e2f0d3c-1b4a-4e5f-9c8d-7a6b5c4d3e2f","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},` +
		`"object":` + benchdata.Object(kind, compliant) + `,"oldObject":null,"dryRun":false,` +
		`"options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}}`
}
