package document

import (
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// lineIndex answers field-path → line queries over a parsed YAML node tree.
type lineIndex struct {
	root *yamlv3.Node
}

// LineOf returns the absolute line of the field at path (as written by
// k8s.io/apimachinery's field.Path: "spec.containers[0].image"), or the
// line of its nearest existing parent, or the document's first line.
func (d *Doc) LineOf(path string) int {
	if path == "" || d.Line == 0 {
		return d.Line
	}
	if d.lines == nil {
		d.lines = &lineIndex{}
		var n yamlv3.Node
		if err := yamlv3.Unmarshal(d.Data, &n); err == nil && len(n.Content) > 0 {
			d.lines.root = n.Content[0]
		}
	}
	if d.lines.root == nil || d.Line == 0 {
		return d.Line
	}
	line := d.lines.root.Line
	n := d.lines.root
	for _, seg := range splitPath(path) {
		next, at := child(n, seg)
		if next == nil {
			break
		}
		n, line = next, at
	}
	return d.Line + line - 1
}

// child steps from a node into a key or index, returning the value node and
// the line of its key (or the item).
func child(n *yamlv3.Node, seg string) (*yamlv3.Node, int) {
	for n.Kind == yamlv3.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yamlv3.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				return n.Content[i+1], n.Content[i].Line
			}
		}
	case yamlv3.SequenceNode:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i], n.Content[i].Line
		}
	}
	return nil, 0
}

// splitPath turns "a.b[2].c[key.with.dots]" into
// ["a","b","2","c","key.with.dots"].
func splitPath(p string) []string {
	var out []string
	cur := []byte{}
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '.':
			flush()
		case '[':
			flush()
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				out = append(out, p[i+1:])
				return out
			}
			out = append(out, p[i+1:i+j])
			i += j
		default:
			cur = append(cur, c)
		}
	}
	flush()
	return out
}
