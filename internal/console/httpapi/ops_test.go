package httpapi

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/sqlite"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// opsServer is the console's handler as `palisade console` wires it: the
// API instrumented, the probes on the same mux, /metrics beside.
type opsServer struct {
	api, metrics *httptest.Server
	st           store.Store
	dbPath       string
}

func newOpsServer(t *testing.T) opsServer {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "palisade.db")
	st, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Options{Store: st, Registry: reg})
	t.Cleanup(svc.Shutdown)
	m := NewMetrics(MetricsOptions{Clusters: st})
	h := NewHealth(HealthOptions{Store: st, MaxAge: time.Nanosecond})
	mux := http.NewServeMux()
	mux.Handle("/api/", New(Options{Service: svc, AdminToken: admin, ViewerToken: viewer, Metrics: m}))
	mux.HandleFunc("GET /healthz", h.Healthz)
	mux.HandleFunc("GET /readyz", h.Readyz)
	api := httptest.NewServer(m.Instrument(mux))
	t.Cleanup(api.Close)
	metrics := httptest.NewServer(m.Handler())
	t.Cleanup(metrics.Close)
	return opsServer{api: api, metrics: metrics, st: st, dbPath: dbPath}
}

func get(t *testing.T, url string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthzAndReadyz(t *testing.T) {
	s := newOpsServer(t)
	if code, body := get(t, s.api.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, s.api.URL+"/readyz"); code != 200 || !strings.Contains(body, "database schema current") {
		t.Errorf("/readyz = %d %q", code, body)
	}

	// The schema falls behind (a migration is missing): not ready, and
	// the body says what to run.
	db, err := sql.Open("sqlite", s.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, s.api.URL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "this binary needs") || !strings.Contains(body, "palisade console migrate") {
		t.Errorf("/readyz with a schema behind = %d %q", code, body)
	}

	// The database goes away: not ready; the body does not say where
	// the database is. Liveness does not care.
	s.st.Close()
	code, body = get(t, s.api.URL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "database unreachable") {
		t.Errorf("/readyz with the store closed = %d %q", code, body)
	}
	if strings.Contains(body, s.dbPath) || strings.Contains(body, "sql:") {
		t.Errorf("/readyz reveals the database error: %q", body)
	}
	if code, _ := get(t, s.api.URL+"/healthz"); code != 200 {
		t.Errorf("/healthz with the store closed = %d, want 200", code)
	}
}

// schemaFunc is a SchemaReader.
type schemaFunc func(ctx context.Context) (store.Schema, error)

func (f schemaFunc) Schema(ctx context.Context) (store.Schema, error) { return f(ctx) }

func TestReadyzSchemaAhead(t *testing.T) {
	h := NewHealth(HealthOptions{Store: schemaFunc(func(context.Context) (store.Schema, error) {
		return store.Schema{Applied: 7, Want: 6}, nil
	})})
	w := httptest.NewRecorder()
	h.Readyz(w, httptest.NewRequest("GET", "/readyz", nil))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "newer than this binary's 6: upgrade palisade") {
		t.Errorf("/readyz = %d %q", w.Code, w.Body)
	}
}

// A console told to stop is not ready, however healthy its database.
func TestReadyzDraining(t *testing.T) {
	h := NewHealth(HealthOptions{Store: schemaFunc(func(context.Context) (store.Schema, error) {
		return store.Schema{Applied: 6, Want: 6}, nil
	})})
	w := httptest.NewRecorder()
	h.Readyz(w, httptest.NewRequest("GET", "/readyz", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("/readyz before Drain = %d %q", w.Code, w.Body)
	}
	h.Drain()
	w = httptest.NewRecorder()
	h.Readyz(w, httptest.NewRequest("GET", "/readyz", nil))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "shutting down") {
		t.Errorf("/readyz after Drain = %d %q", w.Code, w.Body)
	}
}

// A database that hangs: /readyz answers within its timeout, and a flood
// of probes queries it once at a time, not once each.
func TestReadyzBoundedUnderLoad(t *testing.T) {
	var calls, inFlight, most atomic.Int32
	hang := schemaFunc(func(ctx context.Context) (store.Schema, error) {
		calls.Add(1)
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-ctx.Done() // never answers
		return store.Schema{}, ctx.Err()
	})
	h := NewHealth(HealthOptions{Store: hang, Timeout: 100 * time.Millisecond, MaxAge: time.Second})
	srv := httptest.NewServer(http.HandlerFunc(h.Readyz))
	defer srv.Close()

	const n = 200
	start := time.Now()
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range n {
		wg.Go(func() {
			resp, err := http.Get(srv.URL)
			if err != nil {
				bad.Add(1)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "did not answer within 100ms") {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d of %d probes did not get 503 \"did not answer within 100ms\"", bad.Load(), n)
	}
	if most.Load() != 1 {
		t.Errorf("%d database checks ran at once, want 1", most.Load())
	}
	if c := calls.Load(); c > 3 {
		t.Errorf("%d probes ran %d database checks, want at most a few (one per MaxAge)", n, c)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%d probes took %v", n, d)
	}
}

// A probe whose caller goes away while another check runs returns at once.
func TestReadyzCallerGone(t *testing.T) {
	release := make(chan struct{})
	h := NewHealth(HealthOptions{Store: schemaFunc(func(ctx context.Context) (store.Schema, error) {
		<-release
		return store.Schema{Applied: 1, Want: 1}, nil
	}), Timeout: time.Minute})
	go h.check(context.Background()) // holds the check
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if res := h.check(ctx); res.ok || !strings.Contains(res.body, "abandoned") {
		t.Errorf("check with the caller gone = %+v", res)
	}
	close(release)
}

func TestMetricsCountRequests(t *testing.T) {
	s := newOpsServer(t)
	// Before: none for this route.
	_, before := get(t, s.metrics.URL)
	if strings.Contains(before, `route="/api/v1/policies"`) {
		t.Fatalf("metrics before any request:\n%s", before)
	}
	get(t, s.api.URL+"/api/v1/policies")
	get(t, s.api.URL+"/api/v1/policies", "Authorization", "Bearer "+viewer)
	get(t, s.api.URL+"/api/v1/policies", "Authorization", "Bearer "+viewer)
	get(t, s.api.URL+"/api/v1/no/such/path/abc123")
	_, after := get(t, s.metrics.URL)
	for _, want := range []string{
		`palisade_console_http_requests_total{code="401",method="GET",route="/api/v1/policies"} 1`,
		`palisade_console_http_requests_total{code="200",method="GET",route="/api/v1/policies"} 2`,
		`palisade_console_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`palisade_console_http_request_duration_seconds_count{method="GET",route="/api/v1/policies"} 3`,
		`palisade_console_events_ingested_total{result="stored"} 0`,
		`palisade_console_long_polls 0`,
		`palisade_console_clusters 0`,
		`palisade_console_events_deleted_total 0`,
		`palisade_console_event_retention_last_success_timestamp_seconds 0`,
	} {
		if !strings.Contains(after, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Labels are patterns, never what the client asked for.
	if strings.Contains(after, "abc123") {
		t.Error("a requested path became a label value")
	}
}

func TestMetricsRetention(t *testing.T) {
	m := NewMetrics(MetricsOptions{})
	m.RetentionPassed(5, nil)
	m.RetentionPassed(3, errors.New("database down"))
	(*Metrics)(nil).RetentionPassed(1, nil)
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(w.Body.String(), "palisade_console_events_deleted_total 8\n") {
		t.Errorf("deleted events not counted:\n%s", w.Body)
	}
	if strings.Contains(w.Body.String(), "palisade_console_event_retention_last_success_timestamp_seconds 0\n") {
		t.Error("a successful pass left the last-success time at 0")
	}
}

func TestMetricsAgents(t *testing.T) {
	s := newOpsServer(t)
	srv := s.api
	c := do(t, srv, "POST", "/api/v1/clusters", admin, "application/json", `{"name":"east"}`)
	token := c.body["token"].(string)
	etag := do(t, srv, "GET", "/api/v1/agent/policy?wait=0s", token, "", "").header.Get("ETag")
	batch := `{"events":[{"id":"e1","time":"2026-11-23T10:00:00Z","kind":"Pod","name":"a","tab":"deployment","rule":"privileged","action":"log","message":"m"},
	{"id":"e2","time":"2026-11-23T10:00:01Z","kind":"Pod","name":"b","tab":"deployment","rule":"privileged","action":"log","message":"m"}]}`
	do(t, srv, "POST", "/api/v1/agent/events", token, "application/json", batch)
	do(t, srv, "POST", "/api/v1/agent/events", token, "application/json", batch) // a retry

	// A long poll held open shows in the gauge while it waits.
	done := make(chan struct{})
	go func() {
		defer close(done)
		do(t, srv, "GET", "/api/v1/agent/policy?wait=20s", token, "", "", "If-None-Match", etag)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, m := get(t, s.metrics.URL)
		if strings.Contains(m, "palisade_console_long_polls 1\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the held long poll is not counted:\n%s", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, m := get(t, s.metrics.URL)
	for _, want := range []string{
		`palisade_console_events_ingested_total{result="stored"} 2`,
		`palisade_console_events_ingested_total{result="duplicate"} 2`,
		`palisade_console_clusters 1`,
		`palisade_console_agent_last_seen_seconds{cluster="east"} `,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// No token, no database location in what anyone may read.
	_, ready := get(t, s.api.URL+"/readyz")
	for _, secret := range []string{token, admin, viewer, s.dbPath} {
		if strings.Contains(m, secret) || strings.Contains(ready, secret) {
			t.Errorf("/metrics or /readyz reveals %q", secret)
		}
	}
	// End the long poll.
	s.api.CloseClientConnections()
	<-done
}

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// clusterCounter counts ListClusters calls and those at once.
type clusterCounter struct {
	calls, inFlight, most atomic.Int32
}

func (c *clusterCounter) ListClusters(ctx context.Context) ([]store.Cluster, error) {
	c.calls.Add(1)
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.most.Load()
		if n <= m || c.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond)
	return []store.Cluster{{Name: "east", LastSeen: t0.Add(-time.Minute)}}, nil
}

// A flood of scrapes lists the clusters once (their result is reused) and
// is turned away beyond a few at a time.
func TestMetricsBoundedUnderLoad(t *testing.T) {
	lister := &clusterCounter{}
	m := NewMetrics(MetricsOptions{Clusters: lister, Now: func() time.Time { return t0 }})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	var wg sync.WaitGroup
	var ok, busy, other atomic.Int32
	var mu sync.Mutex
	var wrong []string
	for range 100 {
		wg.Go(func() {
			resp, err := http.Get(srv.URL)
			if err != nil {
				other.Add(1)
				mu.Lock()
				wrong = append(wrong, err.Error())
				mu.Unlock()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == 200 && strings.Contains(string(b), "palisade_console_agent_last_seen_seconds{cluster=\"east\"} 60\n"):
				ok.Add(1)
			case resp.StatusCode == http.StatusServiceUnavailable:
				busy.Add(1)
			default:
				other.Add(1)
				mu.Lock()
				wrong = append(wrong, resp.Status)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok.Load() == 0 || other.Load() != 0 {
		t.Errorf("scrapes: %d ok, %d turned away, %d wrong: %q", ok.Load(), busy.Load(), other.Load(), wrong)
	}
	if lister.calls.Load() != 1 || lister.most.Load() != 1 {
		t.Errorf("100 scrapes listed the clusters %d times (%d at once), want once", lister.calls.Load(), lister.most.Load())
	}
}

func TestMetricsClusterListFails(t *testing.T) {
	m := NewMetrics(MetricsOptions{Clusters: failingLister{}})
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 || strings.Contains(w.Body.String(), "palisade_console_agent_last_seen_seconds{") {
		t.Errorf("metrics with the store down = %d\n%s", w.Code, w.Body)
	}
}

type failingLister struct{}

func (failingLister) ListClusters(context.Context) ([]store.Cluster, error) {
	return nil, errors.New("connection refused")
}
