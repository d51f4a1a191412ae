package webhook

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/enforce/admission"
	"github.com/palisade-dev/palisade/internal/platform/clientcert"
	"github.com/palisade-dev/palisade/internal/platform/clientcert/clientcerttest"
)

// eventSink keeps the events it is given.
type eventSink struct {
	mu     sync.Mutex
	events []event.Event
}

func (s *eventSink) Record(_ context.Context, evs []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, evs...)
	return nil
}

// With ClientCAs, /validate and /mutate answer only the API server's
// certificate, and refuse anyone else before reading the body; events say
// whether their caller was authenticated.
func TestClientCertificateRequired(t *testing.T) {
	ca := clientcerttest.NewCA(t, "apiserver-ca")
	bundle, err := clientcert.Load(ca.File, "--admission-client-ca-file")
	if err != nil {
		t.Fatal(err)
	}
	c := compilePolicy(t, blockPrivileged)
	body := reviewBody(t, "u1", metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, "pods", "default", example(t, "busybox.yaml"))
	start := func(cas *clientcert.Bundle) (*httptest.Server, *eventSink) {
		sink := &eventSink{}
		reviewer := admission.New(admission.Options{Sink: sink, Policy: func() *engine.Compiled { return c }})
		srv := httptest.NewUnstartedServer(NewHandler(Options{Reviewer: reviewer, Metrics: NewMetrics(), ClientCAs: cas}))
		srv.TLS = &tls.Config{}
		clientcert.Configure(srv.TLS, cas)
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv, sink
	}
	post := func(srv *httptest.Server, cert *tls.Certificate, path string) (int, string) {
		t.Helper()
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Post(srv.URL+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	apiserver := ca.Client(t, "kube-apiserver")

	srv, sink := start(bundle)
	for _, path := range []string{"/validate", "/mutate"} {
		if code, msg := post(srv, nil, path); code != http.StatusUnauthorized {
			t.Errorf("%s without a certificate: %d %q, want 401", path, code, msg)
		}
		if code, msg := post(srv, &apiserver, path); code != http.StatusOK {
			t.Errorf("%s with the API server's certificate: %d %q", path, code, msg)
		}
	}
	// A caller without a certificate that sends its body slowly is
	// answered at once, and the connection closed: the body is never read.
	for _, path := range []string{"/validate", "/mutate"} {
		func() {
			c, err := tls.Dial("tcp", srv.Listener.Addr().String(), srv.Client().Transport.(*http.Transport).TLSClientConfig)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", path)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("%s: no answer before the body: %v", path, err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != http.StatusUnauthorized || !resp.Close {
				t.Errorf("%s with a slow body: %d, close %v; want 401 and Connection: close", path, resp.StatusCode, resp.Close)
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("%s: the connection stayed open (%v), waiting for the body", path, err)
			}
		}()
	}
	if code, _ := post(srv, nil, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz without a certificate: %d", code)
	}
	if len(sink.events) != 1 || sink.events[0].Caller != event.CallerAuthenticated {
		t.Errorf("events %+v, want one, caller authenticated", sink.events)
	}

	open, sink := start(nil)
	if code, msg := post(open, nil, "/validate"); code != http.StatusOK {
		t.Fatalf("no ClientCAs: %d %q", code, msg)
	}
	if len(sink.events) != 1 || sink.events[0].Caller != event.CallerUnauthenticated {
		t.Errorf("events %+v, want one, caller unauthenticated", sink.events)
	}
}
