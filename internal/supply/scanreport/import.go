package scanreport

import (
	"bytes"
	"fmt"
	"io"
	"regexp"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/document"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// Format names an input format.
type Format string

// The formats Import reads.
const (
	// FormatTrivy is Trivy's JSON report (trivy image -f json, SchemaVersion 2).
	FormatTrivy Format = "trivy"
	// FormatTrivyOperator is Trivy Operator's VulnerabilityReport,
	// ClusterVulnerabilityReport and ExposedSecretReport resources
	// (aquasecurity.github.io/v1alpha1), alone or in a List.
	FormatTrivyOperator Format = "trivy-operator"
	// FormatPalisade is Palisade's ScanResult (palisade.dev/v1).
	FormatPalisade Format = "palisade"
)

// API versions and kinds Import recognises.
const (
	apiTrivyOperator = "aquasecurity.github.io/v1alpha1"
	apiPalisade      = "palisade.dev/v1"
	kindScanResult   = "ScanResult"
	kindList         = "List"
)

// Report is what one imported input holds.
type Report struct {
	// Format is the format of the input's first document (a stream of
	// YAML documents, or a List, may mix Trivy Operator resources and
	// Palisade ScanResults).
	Format Format
	// Images are the images the input describes, one per report or
	// resource, in input order. Two entries may describe the same image
	// (a VulnerabilityReport and an ExposedSecretReport of one digest);
	// an Index merges them.
	Images []*scanresult.Image
	// Warnings are what was imported but not exactly as written (an
	// invalid CVSS vector in a Trivy report, a report without a scan
	// time), each located.
	Warnings []Problem
}

// Detect tells which format data is in, from its first document: a Trivy
// JSON report has a SchemaVersion; Kubernetes-style documents are told
// apart by apiVersion (a List by its first item). It returns an *Error
// when data is none of them.
func Detect(data []byte) (Format, error) {
	r := document.NewReader(bytes.NewReader(data), "<input>")
	doc, err := r.Next()
	if err == io.EOF {
		return "", &Error{Problems: []Problem{{Source: "<input>", Message: "no document found: the input is empty"}}}
	}
	if err != nil {
		return "", &Error{Problems: []Problem{located("<input>", err)}}
	}
	ps := &docProblems{doc: &doc}
	j, err := doc.JSON()
	if err != nil {
		return "", &Error{Problems: []Problem{located("<input>", err)}}
	}
	f := detect(ps, nil, j, 0)
	if f == "" {
		return "", &Error{Problems: ps.errs}
	}
	return f, nil
}

// head is what detection reads of a document.
type head struct {
	APIVersion    string           `json:"apiVersion"`
	Kind          string           `json:"kind"`
	SchemaVersion jsontext.Value   `json:"SchemaVersion"`
	Items         []jsontext.Value `json:"items"`
}

// detect returns the format of the value j at base, or "" after recording
// why it has none. depth stops Lists of Lists.
func detect(ps *docProblems, base *field.Path, j []byte, depth int) Format {
	if k := jsontext.Value(j).Kind(); k != '{' {
		if k == '[' && looksLikeTrivyV1(j) {
			ps.fail(field.Invalid(orDocument(base), field.OmitValueType{}, "a Trivy report of schema version 1 (Trivy before 0.20): write the report with a current Trivy (trivy image -f json)"))
			return ""
		}
		ps.fail(field.Invalid(orDocument(base), field.OmitValueType{}, "not a scan result: want a JSON or YAML object"))
		return ""
	}
	var h head
	_ = jsonv2.Unmarshal(j, &h, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	switch {
	case h.SchemaVersion != nil:
		return FormatTrivy
	case h.APIVersion == apiTrivyOperator:
		return FormatTrivyOperator
	case h.APIVersion == apiPalisade:
		return FormatPalisade
	case h.APIVersion == "v1" && h.Kind == kindList && depth == 0:
		if len(h.Items) == 0 {
			ps.fail(field.Required(child(base, "items"), "the List has no items"))
			return ""
		}
		return detect(ps, child(base, "items").Index(0), h.Items[0], depth+1)
	case h.APIVersion == "":
		ps.fail(field.Required(child(base, "apiVersion"), "not a scan result: want a Trivy JSON report (with SchemaVersion), a Trivy Operator VulnerabilityReport or ExposedSecretReport ("+apiTrivyOperator+"), or a Palisade ScanResult ("+apiPalisade+")"))
	default:
		ps.fail(field.NotSupported(child(base, "apiVersion"), h.APIVersion, []string{apiTrivyOperator, apiPalisade}))
	}
	return ""
}

// looksLikeTrivyV1 reports whether j is a list of objects with a Target,
// as Trivy wrote its reports before schema version 2.
func looksLikeTrivyV1(j []byte) bool {
	var v []struct {
		Target *string `json:"Target"`
	}
	return jsonv2.Unmarshal(j, &v) == nil && len(v) > 0 && v[0].Target != nil
}

// Import reads the scan results in data: a Trivy JSON report, Trivy
// Operator resources or Palisade ScanResults (one or more YAML or JSON
// documents, or a List). name names data in errors and in each scan's
// Source. Every problem comes back at once in an *Error; nothing is
// imported then.
func Import(name string, data []byte) (*Report, error) {
	rep := &Report{}
	var errs []Problem
	r := document.NewReader(bytes.NewReader(data), name)
	for {
		doc, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, located(name, err))
			break
		}
		ps := &docProblems{doc: &doc}
		j, err := doc.JSON()
		if err != nil {
			errs = append(errs, located(name, err))
			continue
		}
		f := importValue(ps, rep, nil, j, 0)
		if rep.Format == "" {
			rep.Format = f
		}
		errs = append(errs, ps.errs...)
		rep.Warnings = append(rep.Warnings, ps.warnings...)
		if len(errs) >= maxProblems {
			break
		}
	}
	if len(errs) > 0 {
		return nil, &Error{Problems: errs[:min(len(errs), maxProblems)]}
	}
	if len(rep.Images) == 0 {
		// What was skipped says why nothing was found.
		return nil, &Error{Problems: append(rep.Warnings, Problem{Source: name, Message: "no scan result found"})}
	}
	return rep, nil
}

// importValue imports the value j at base and returns its format.
func importValue(ps *docProblems, rep *Report, base *field.Path, j []byte, depth int) Format {
	f := detect(ps, base, j, depth)
	if f == "" {
		return ""
	}
	if f == FormatPalisade && depth == 0 {
		// A key given twice in YAML is an error in Palisade's own format
		// (JSON's duplicates the strict decoder reports).
		if _, err := ps.doc.JSONStrict(); err != nil {
			p := located(ps.doc.Source, err)
			if m := duplicateKey.FindStringSubmatch(p.Message); m != nil {
				p.Message = fmt.Sprintf("field %s given twice", m[1])
			}
			ps.errs = append(ps.errs, p)
			return f
		}
	}
	var h head
	_ = jsonv2.Unmarshal(j, &h, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if depth == 0 && h.APIVersion == "v1" && h.Kind == kindList {
		for i, item := range h.Items {
			importValue(ps, rep, child(base, "items").Index(i), item, depth+1)
		}
		return f
	}
	switch f {
	case FormatTrivy:
		importTrivy(ps, rep, base, j)
	case FormatTrivyOperator:
		importOperator(ps, rep, base, j, "")
	case FormatPalisade:
		importPalisade(ps, rep, base, j)
	}
	return f
}

var duplicateKey = regexp.MustCompile(`key ("[^"]*") already set in map`)

// sourceOf names where a value was read: the file, and the line unless
// the value is the whole input.
func sourceOf(ps *docProblems, base *field.Path) string {
	if base == nil && ps.doc.Line <= 1 {
		return ps.doc.Source
	}
	line := ps.doc.Line
	if base != nil {
		line = ps.doc.LineOf(base.String())
	}
	return fmt.Sprintf("%s:%d", ps.doc.Source, line)
}
