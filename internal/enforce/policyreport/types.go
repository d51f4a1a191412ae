package policyreport

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The report Palisade writes: one PolicyReport named Name in every
// namespace where it checked something.
const (
	APIVersion = "wgpolicyk8s.io/v1alpha2"
	Kind       = "PolicyReport"
	Name       = "palisade"
	// Source is every result's "source": the engine that wrote it.
	Source = "palisade"
)

// GVR is the PolicyReport resource for the dynamic client.
var GVR = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}

// Labels and annotations on Palisade's reports.
const (
	// LabelManagedBy marks the reports Palisade owns: only those are
	// updated and deleted.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "palisade"
	// AnnotationHash is a digest of the report's content without
	// timestamps; an unchanged digest skips the write.
	AnnotationHash = "palisade.dev/content-hash"
	// AnnotationOmitted counts the failing results left out beyond the cap.
	AnnotationOmitted = "palisade.dev/results-omitted"
	// AnnotationPolicy and AnnotationTab name what was evaluated.
	AnnotationPolicy = "palisade.dev/policy"
	AnnotationTab    = "palisade.dev/tab"
)

// PolicyReport is a wgpolicyk8s.io/v1alpha2 PolicyReport, with the fields
// Palisade writes (the CRD also has scopeSelector and, per result,
// resourceSelector; Palisade leaves them out).
type PolicyReport struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Scope is the object the report is about; a namespace-wide report
	// has none.
	Scope   *ObjectReference `json:"scope,omitempty"`
	Summary Summary          `json:"summary"`
	Results []Result         `json:"results,omitempty"`
}

// Report is an openreports.io/v1alpha1 Report (github.com/openreports/reports-api):
// a PolicyReport's fields, plus source at the report's level (the CRD
// also has scopeSelector and configuration; Palisade leaves them out).
type Report struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Source            string           `json:"source,omitempty"`
	Scope             *ObjectReference `json:"scope,omitempty"`
	Summary           Summary          `json:"summary"`
	Results           []Result         `json:"results,omitempty"`
}

// Summary counts checks, a check being one rule on one resource.
type Summary struct {
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Warn  int `json:"warn"`
	Error int `json:"error"`
	Skip  int `json:"skip"`
}

// Result is one rule's outcome on one resource.
type Result struct {
	Source    string            `json:"source,omitempty"`
	Policy    string            `json:"policy"`
	Rule      string            `json:"rule,omitempty"`
	Category  string            `json:"category,omitempty"`
	Severity  Severity          `json:"severity,omitempty"`
	Timestamp Timestamp         `json:"timestamp"`
	Result    Status            `json:"result,omitempty"`
	Scored    bool              `json:"scored,omitempty"`
	Resources []ObjectReference `json:"resources,omitempty"`
	Message   string            `json:"message,omitempty"`
	// Properties carry Palisade's action and tab.
	Properties map[string]string `json:"properties,omitempty"`
}

// Status is a result's outcome.
type Status string

// The outcomes the CRD allows.
const (
	StatusPass  Status = "pass"
	StatusFail  Status = "fail"
	StatusWarn  Status = "warn"
	StatusError Status = "error"
	StatusSkip  Status = "skip"
)

// Severity is a result's severity; the CRD allows exactly these.
type Severity string

// The severities the CRD allows.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityInfo     Severity = "info"
)

// Timestamp is the protobuf-style time the CRD uses.
type Timestamp struct {
	Seconds int64 `json:"seconds"`
	Nanos   int32 `json:"nanos"`
}

// ObjectReference names a checked resource (the CRD's
// corev1.ObjectReference, with the fields Palisade sets).
type ObjectReference struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name,omitempty"`
	UID        string `json:"uid,omitempty"`
}
