package policyreport

import (
	"context"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// API is a group Palisade writes its reports in. The content is the
// same (one Builder); only the shape around it differs.
type API string

// The report APIs.
const (
	// APIWGPolicy is wgpolicyk8s.io/v1alpha2 PolicyReport, the Policy WG's
	// original, which Policy Reporter and older Kyverno read.
	APIWGPolicy API = "wgpolicyk8s.io"
	// APIOpenReports is openreports.io/v1alpha1 Report, its successor
	// (github.com/openreports/reports-api), which Kyverno now writes.
	APIOpenReports API = "openreports.io"
)

// The openreports.io Report.
const (
	OpenReportsAPIVersion = "openreports.io/v1alpha1"
	OpenReportsKind       = "Report"
)

// OpenReportsGVR is the openreports.io Report resource for the dynamic
// client.
var OpenReportsGVR = schema.GroupVersionResource{Group: "openreports.io", Version: "v1alpha1", Resource: "reports"}

// ParseAPIs reads a --policy-report-api value: wgpolicyk8s.io (also the
// empty string), openreports.io, or both.
func ParseAPIs(s string) ([]API, error) {
	switch strings.TrimSpace(s) {
	case "", string(APIWGPolicy):
		return []API{APIWGPolicy}, nil
	case string(APIOpenReports):
		return []API{APIOpenReports}, nil
	case "both":
		return []API{APIWGPolicy, APIOpenReports}, nil
	}
	return nil, fmt.Errorf("unknown report API %q: wgpolicyk8s.io, openreports.io or both", s)
}

func (a API) gvr() schema.GroupVersionResource {
	if a == APIOpenReports {
		return OpenReportsGVR
	}
	return GVR
}

// kind names the resource in messages: "wgpolicyk8s.io/v1alpha2
// PolicyReport".
func (a API) kind() string {
	if a == APIOpenReports {
		return OpenReportsAPIVersion + " " + OpenReportsKind
	}
	return APIVersion + " " + Kind
}

// shape is r as the API stores it.
func (a API) shape(r *PolicyReport) any {
	if a == APIOpenReports {
		return r.OpenReport()
	}
	return r
}

// OpenReport is r as an openreports.io/v1alpha1 Report: the same
// metadata, summary and results, with the engine also named at the
// report's level (its "source").
func (r *PolicyReport) OpenReport() *Report {
	return &Report{
		TypeMeta:   metav1.TypeMeta{APIVersion: OpenReportsAPIVersion, Kind: OpenReportsKind},
		ObjectMeta: r.ObjectMeta,
		Source:     Source,
		Scope:      r.Scope,
		Summary:    r.Summary,
		Results:    r.Results,
	}
}

// Publishers publish the same reports in several APIs.
type Publishers []*Publisher

// NewPublishers returns a publisher per API (wgpolicyk8s.io alone when
// apis is empty).
func NewPublishers(client dynamic.Interface, apis []API) Publishers {
	if len(apis) == 0 {
		apis = []API{APIWGPolicy}
	}
	ps := make(Publishers, len(apis))
	for i, a := range apis {
		ps[i] = &Publisher{Client: client, API: a}
	}
	return ps
}

// Publish publishes in every API, going on past one that fails; the
// stats are summed and the errors joined.
func (ps Publishers) Publish(ctx context.Context, reports []PolicyReport, namespace string) (Stats, error) {
	var sum Stats
	var errs []error
	for _, p := range ps {
		st, err := p.Publish(ctx, reports, namespace)
		sum.Created += st.Created
		sum.Updated += st.Updated
		sum.Unchanged += st.Unchanged
		sum.Deleted += st.Deleted
		if err != nil {
			errs = append(errs, err)
		}
	}
	return sum, errors.Join(errs...)
}
