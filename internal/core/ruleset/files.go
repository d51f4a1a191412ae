package ruleset

import (
	"bytes"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// IsRulesetDocument reports whether data holds Palisade documents
// (RuntimeRuleset, Policy) rather than a Falco rules file: a Falco rules
// file is a YAML list, a Palisade document a mapping with a kind.
func IsRulesetDocument(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil || len(n.Content) == 0 {
		return false
	}
	return n.Content[0].Kind == yaml.MappingNode
}

// Spec names rules to load as one ruleset: [NAME=]FILE[,FILE...]. The
// Falco rules files are loaded together in order, as with Falco's -r (so a
// later file may use and append to an earlier one's macros and lists); the
// ruleset is named NAME, or after the first file. A file holding
// RuntimeRuleset documents gives those rulesets, under their own names.
type Spec struct {
	Name  string
	Files []string
}

// ParseSpec reads a --runtime-rules value.
func ParseSpec(s string) (Spec, error) {
	var sp Spec
	if name, files, ok := strings.Cut(s, "="); ok {
		sp.Name, s = name, files
		if errs := policy.ValidateName(name, nil); len(errs) > 0 {
			return Spec{}, fmt.Errorf("ruleset name %q: %v", name, errs.ToAggregate())
		}
	}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			sp.Files = append(sp.Files, f)
		}
	}
	if len(sp.Files) == 0 {
		return Spec{}, fmt.Errorf("%q names no file", s)
	}
	if sp.Name == "" {
		sp.Name = RulesetName(sp.Files[0])
	}
	return sp, nil
}

// LoadSpec reads and compiles the rulesets a spec names. Diagnostics hold
// every problem; an error is returned for files that cannot be read or
// documents that do not parse.
func LoadSpec(sp Spec) ([]*Ruleset, falco.Diagnostics, error) {
	var out []*Ruleset
	var diags falco.Diagnostics
	var falcoFiles []falco.File
	for _, path := range sp.Files {
		data, err := document.ReadFile(path, policy.MaxFileSize)
		if err != nil {
			return nil, nil, err
		}
		if !IsRulesetDocument(data) {
			falcoFiles = append(falcoFiles, falco.File{Name: path, Data: data})
			continue
		}
		b, err := policy.Load(path, data, nil)
		if err != nil {
			return nil, nil, err
		}
		if len(b.Rulesets) == 0 {
			return nil, nil, fmt.Errorf("%s: no RuntimeRuleset document (a Falco rules file is a YAML list of items)", path)
		}
		for _, rs := range b.Rulesets {
			r, d := Compile(rs)
			out = append(out, r)
			diags = append(diags, d...)
		}
	}
	if len(falcoFiles) > 0 {
		r, d := CompileFiles(sp.Name, falcoFiles...)
		out = append(out, r)
		diags = append(diags, d...)
	}
	return out, diags, nil
}
