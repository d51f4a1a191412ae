// Command chartdoc writes the values table of the Helm chart's README
// (deploy/helm/palisade/README.md, between the values:begin and values:end
// markers) from values.schema.json (each value's description) and
// values.yaml (its default). Run it from the repository root after
// changing either:
//
//	go run ./hack/chartdoc
//
// A test fails while the README's table is stale, and while a value in
// values.yaml has no description in the schema.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Chart is the chart's folder, from the repository root.
const Chart = "deploy/helm/palisade"

// The markers around the generated table in README.md.
const (
	beginMarker = "<!-- values:begin: generated from values.schema.json and values.yaml by `go run ./hack/chartdoc`; do not edit -->"
	endMarker   = "<!-- values:end -->"
)

func main() {
	if err := run(Chart); err != nil {
		fmt.Fprintln(os.Stderr, "chartdoc:", err)
		os.Exit(1)
	}
}

func run(chart string) error {
	readme := filepath.Join(chart, "README.md")
	old, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	table, err := Table(chart)
	if err != nil {
		return err
	}
	updated, err := Splice(old, table)
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	if bytes.Equal(old, updated) {
		return nil
	}
	return os.WriteFile(readme, updated, 0o644)
}

// Splice returns readme with the text between the markers replaced by
// table.
func Splice(readme, table []byte) ([]byte, error) {
	begin := bytes.Index(readme, []byte(beginMarker))
	end := bytes.Index(readme, []byte(endMarker))
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("no %q ... %q markers", beginMarker, endMarker)
	}
	var b bytes.Buffer
	b.Write(readme[:begin+len(beginMarker)])
	b.WriteString("\n")
	b.Write(table)
	b.Write(readme[end:])
	return b.Bytes(), nil
}

// node is a schema object: its description and, in order, its properties.
type node struct {
	Description string
	Props       []prop
}

type prop struct {
	Name string
	Node *node
}

func (n *node) UnmarshalJSON(b []byte) error {
	var raw struct {
		Description string          `json:"description"`
		Properties  json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	n.Description = raw.Description
	if len(raw.Properties) == 0 {
		return nil
	}
	// Read the properties with a decoder: their order is the table's.
	dec := json.NewDecoder(bytes.NewReader(raw.Properties))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("properties: want an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var child node
		if err := dec.Decode(&child); err != nil {
			return fmt.Errorf("%v: %w", t, err)
		}
		n.Props = append(n.Props, prop{Name: t.(string), Node: &child})
	}
	return nil
}

// Row is one line of the table: a value without properties of its own.
type Row struct {
	Path        string
	Default     any
	HasDefault  bool
	Description string
}

// Rows reads the schema and the values and returns a row per schema leaf,
// in schema order.
func Rows(chart string) ([]Row, error) {
	schema, values, err := load(chart)
	if err != nil {
		return nil, err
	}
	var rows []Row
	var walk func(n *node, path []string)
	walk = func(n *node, path []string) {
		if len(n.Props) == 0 {
			def, ok := lookup(values, path)
			rows = append(rows, Row{Path: strings.Join(path, "."), Default: def, HasDefault: ok, Description: n.Description})
			return
		}
		for _, p := range n.Props {
			walk(p.Node, append(path[:len(path):len(path)], p.Name))
		}
	}
	walk(schema, nil)
	return rows, nil
}

func load(chart string) (*node, map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(chart, "values.schema.json"))
	if err != nil {
		return nil, nil, err
	}
	var schema node
	if err := json.Unmarshal(b, &schema); err != nil {
		return nil, nil, fmt.Errorf("values.schema.json: %w", err)
	}
	b, err = os.ReadFile(filepath.Join(chart, "values.yaml"))
	if err != nil {
		return nil, nil, err
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		return nil, nil, fmt.Errorf("values.yaml: %w", err)
	}
	return &schema, values, nil
}

func lookup(v map[string]any, path []string) (any, bool) {
	var cur any = v
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Table renders the rows as a Markdown table.
func Table(chart string) ([]byte, error) {
	rows, err := Rows(chart)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeTable(&b, rows)
	return b.Bytes(), nil
}

func writeTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| value | default | meaning |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", r.Path, cell(formatDefault(r)), cell(r.Description))
	}
}

// formatDefault shows a default in a table cell: scalars and short lists
// as code, anything long or nested as a pointer to values.yaml.
func formatDefault(r Row) string {
	if !r.HasDefault {
		return ""
	}
	switch v := r.Default.(type) {
	case nil:
		return "`null`"
	case string:
		if v == "" {
			return "`\"\"`"
		}
		if strings.Contains(v, "\n") {
			return "see values.yaml"
		}
		return "`" + v + "`"
	case map[string]any:
		if len(v) == 0 {
			return "`{}`"
		}
		return "see values.yaml"
	case []any:
		if len(v) == 0 {
			return "`[]`"
		}
	}
	b, err := json.Marshal(r.Default)
	if err != nil || len(b) > 40 {
		return "see values.yaml"
	}
	return "`" + string(b) + "`"
}

// cell escapes what would end a table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// Undescribed returns the values in values.yaml without a description in
// the schema (a value nested under a described schema leaf, such as a
// key of resources, counts as described).
func Undescribed(chart string) ([]string, error) {
	schema, values, err := load(chart)
	if err != nil {
		return nil, err
	}
	var missing []string
	var walk func(n *node, v any, path []string)
	walk = func(n *node, v any, path []string) {
		if n == nil {
			missing = append(missing, strings.Join(path, ".")+" (not in the schema)")
			return
		}
		if len(n.Props) == 0 {
			if n.Description == "" {
				missing = append(missing, strings.Join(path, "."))
			}
			return
		}
		m, _ := v.(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var child *node
			for _, p := range n.Props {
				if p.Name == k {
					child = p.Node
				}
			}
			walk(child, m[k], append(path[:len(path):len(path)], k))
		}
	}
	walk(schema, values, nil)
	return missing, nil
}
