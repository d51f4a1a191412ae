package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// catalogEntry is one rule as `palisade rules -o json` prints it.
type catalogEntry struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Sources are the products and controls the rule comes from.
	Sources []rules.Source `json:"sources"`
	// Source is Sources as one string, "Product: Control; ...", kept for
	// readers of the former single-string field.
	Source     string           `json:"source"`
	Severity   rules.Severity   `json:"severity"`
	Tabs       []policy.Tab     `json:"tabs"`
	Applies    []string         `json:"appliesTo"`
	Properties []rules.ParamDoc `json:"properties"`
}

func newRulesCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "rules [ID...]",
		Short: "List the rule catalog (ID, title, tabs, severity, properties with defaults)",
		Long: `List the rule catalog: every rule, or the rules named (their IDs, as a
policy's rules name them), with its title, tabs, severity and properties
with their defaults.`,
		Example: `  palisade rules
  palisade rules privileged hostPID -o json
  palisade rules -o markdown > docs/policy-reference.md`,
		ValidArgsFunction: ruleIDArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := rules.Builtin()
			if err != nil {
				return err
			}
			entries, err := selectRules(catalog(reg), args)
			if err != nil {
				return badInput(err)
			}
			w := cmd.OutOrStdout()
			switch output {
			case "table":
				return rulesTable(w, entries)
			case "json":
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(entries)
			case "markdown":
				return rulesMarkdown(w, entries)
			}
			return badInput(fmt.Errorf("unknown output format %q (formats: table, json, markdown)", output))
		},
	}
	addOutputFlag(cmd, &output, "table", "table", "json", "markdown")
	return cmd
}

// selectRules keeps the entries ids name, in the catalog's order; all of
// them without ids.
func selectRules(entries []catalogEntry, ids []string) ([]catalogEntry, error) {
	if len(ids) == 0 {
		return entries, nil
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []catalogEntry
	for _, e := range entries {
		if want[e.ID] {
			out = append(out, e)
			delete(want, e.ID)
		}
	}
	if len(want) > 0 {
		var unknown []string
		for _, id := range ids {
			if want[id] {
				unknown = append(unknown, id)
			}
		}
		return nil, fmt.Errorf("unknown rule %s (palisade rules lists them)", strings.Join(unknown, ", "))
	}
	return out, nil
}

func catalog(reg *rules.Registry) []catalogEntry {
	out := make([]catalogEntry, 0, len(reg.All()))
	for _, r := range reg.All() {
		props := rules.ParamDocs(r)
		if props == nil {
			props = []rules.ParamDoc{}
		}
		out = append(out, catalogEntry{
			ID: r.ID, Title: r.Title, Description: r.Description, Sources: r.Sources, Source: sourceList(r.Sources),
			Severity: r.Severity, Tabs: r.Tabs, Applies: targetNames(r.Targets), Properties: props,
		})
	}
	return out
}

// sourceList is "Product: Control; Product: Control".
func sourceList(ss []rules.Source) string {
	s := make([]string, len(ss))
	for i, src := range ss {
		s[i] = src.String()
	}
	return strings.Join(s, "; ")
}

func targetNames(t rules.Target) []string {
	names := []struct {
		t    rules.Target
		name string
	}{
		{rules.TargetPod, "workloads"}, {rules.TargetService, "Service"}, {rules.TargetIngress, "Ingress"},
		{rules.TargetServiceAccount, "ServiceAccount"}, {rules.TargetRBAC, "RBAC"},
		{rules.TargetConnect, "exec/attach/port-forward"}, {rules.TargetAny, "every object"},
		{rules.TargetPersistentVolumeClaim, "PersistentVolumeClaim"}, {rules.TargetHorizontalPodAutoscaler, "HorizontalPodAutoscaler"},
		{rules.TargetPodDisruptionBudget, "PodDisruptionBudget"},
	}
	var out []string
	for _, n := range names {
		if t&n.t != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func tabList(ts []policy.Tab) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

func propSummary(ps []rules.ParamDoc) string {
	var s []string
	for _, p := range ps {
		if p.Required {
			s = append(s, p.Name+" (required)")
			continue
		}
		d, _ := json.Marshal(p.Default)
		s = append(s, p.Name+"="+string(d))
	}
	return strings.Join(s, " ")
}

func rulesTable(w io.Writer, entries []catalogEntry) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tTABS\tSEVERITY\tPROPERTIES")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.Title, tabList(e.Tabs), e.Severity, propSummary(e.Properties))
	}
	return tw.Flush()
}

// rulesMarkdown renders docs/policy-reference.md's catalog section.
func rulesMarkdown(w io.Writer, entries []catalogEntry) error {
	var b strings.Builder
	b.WriteString("# Rule catalog\n\n")
	b.WriteString("Generated by `palisade rules -o markdown` from the rule registry; do not edit by hand\n")
	b.WriteString("(`go test ./cmd/palisade` fails when this file is out of date).\n\n")
	b.WriteString("| ID | title | tabs | severity | applies to |\n|---|---|---|---|---|\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s | %s |\n", e.ID, strings.ToLower(e.ID), e.Title, tabList(e.Tabs), e.Severity, strings.Join(e.Applies, ", "))
	}
	for _, e := range entries {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n%s. Severity: %s. Tabs: %s. Applies to: %s.\n",
			e.ID, e.Title, strings.TrimSuffix(e.Description, "."), e.Severity, tabList(e.Tabs), strings.Join(e.Applies, ", "))
		b.WriteString("\nFrom:\n")
		for _, src := range e.Sources {
			fmt.Fprintf(&b, "- %s: %s\n", src.Product, src.Control)
		}
		if len(e.Properties) == 0 {
			b.WriteString("\nNo properties.\n")
			continue
		}
		b.WriteString("\n| property | type | default | meaning |\n|---|---|---|---|\n")
		for _, p := range e.Properties {
			def := "*required*"
			if !p.Required {
				d, _ := json.Marshal(p.Default)
				def = "`" + string(d) + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, p.Type, def, strings.ReplaceAll(p.Doc, "|", `\|`))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
