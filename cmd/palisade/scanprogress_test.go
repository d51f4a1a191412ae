package main

import (
	"fmt"
	"io"
	"testing"

	"github.com/palisade-dev/palisade/internal/enforce/scan"
)

// nopWriter is a report writer that keeps nothing.
type nopWriter struct{}

func (nopWriter) Begin() error                 { return nil }
func (nopWriter) Result(*scan.Result) error    { return nil }
func (nopWriter) Error(*scan.InputError) error { return nil }
func (nopWriter) End(scan.Summary) error       { return nil }

func TestProgressStatus(t *testing.T) {
	c := &countingWriter{Writer: nopWriter{}}
	if got, want := c.scanStatus(), "scanning: 0 objects judged from 0 sources"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	for _, r := range []scan.Result{
		{Source: "a.yaml", Kind: "Pod", Namespace: "web"},
		{Source: "a.yaml", Kind: "Deployment", Namespace: "web"},
		{Source: "b.yaml", Kind: "ClusterRole"},
		{Source: "c.yaml", Kind: "Pod", Namespace: "payments"},
	} {
		if err := c.Result(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Error(&scan.InputError{Source: "d.yaml"}); err != nil {
		t.Fatal(err)
	}
	if got, want := c.scanStatus(), "scanning: 4 objects judged from 3 sources, 1 error"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got, want := c.auditStatus(), "auditing: 4 objects judged in 2 namespaces (ClusterRole, Deployment, Pod), 1 error"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// The demo's progress line names the control plane script's latest step.
func TestScriptStep(t *testing.T) {
	var s scriptStep
	s.set("controlplane: up")
	var w io.Writer = &s
	fmt.Fprint(w, "controlplane: installing Debian etcd-server\ncontrolplane: building kube-apiserver v1.35.0 from the Go module (several")
	if got, want := s.get(), "controlplane: installing Debian etcd-server"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	fmt.Fprint(w, " minutes, cached in /root/.cache/palisade/bin)\n\n")
	if got, want := s.get(), "controlplane: building kube-apiserver v1.35.0 from the Go module"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
