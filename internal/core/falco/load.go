package falco

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// EngineVersion is the version of Falco's rule engine whose language this
// package implements; rules files that require a later one are refused.
const EngineVersion = "0.57.0"

// File is one rules file: its name (for messages) and its content.
type File struct {
	Name string
	Data []byte
}

// where is a position in a rules file.
type where struct {
	file      string
	line, col int
}

func at(file string, n *yaml.Node) where { return where{file, n.Line, n.Column} }

type listDef struct {
	name  string
	items []string
	at    where
	used  bool
}

type macroDef struct {
	name string
	cond string
	at   where
	// condAt is where the condition text starts (errors point there).
	condAt where
	used   bool
	// tree is the parsed condition, nil when it did not parse; broken is
	// set when it refers to a macro that is undefined, not yet defined or
	// does not compile.
	tree   node
	broken bool
	// index orders macros by first definition; visibility is the order of
	// the macro's last definition or append. As in Falco, a macro sees the
	// macros first defined before its visibility: no forward reference.
	index, visibility int
}

type ruleDef struct {
	name, desc, cond, output, source string
	priority                         Priority
	tags                             []string
	enabled                          bool
	skipUnknown                      bool
	// warnEvttypes asks for LOAD_NO_EVTTYPE when the condition has no
	// event-type restriction (Falco's warn_evttypes, true by default).
	warnEvttypes         bool
	exceptions           []*exceptionDef
	at, condAt, outputAt where
}

// exceptionDef is a rule exception: fields compared with tuples of values;
// a matching tuple suppresses the rule.
type exceptionDef struct {
	name string
	// fields and comps pair up; single is set when fields was written as
	// one string (values are then single values, compared with comps[0]).
	fields []string
	comps  []string
	single bool
	values [][]exceptionValue
	at     where
}

// exceptionValue is one value of a tuple: a single value, or a list (for
// in, intersects and pmatch), whose items may name lists.
type exceptionValue struct {
	items []string
	list  bool
}

// loader gathers every file's items, applying appends and overrides in
// order, before anything is compiled.
type loader struct {
	opts   Options
	diags  Diagnostics
	lists  map[string]*listDef
	macros map[string]*macroDef
	rules  map[string]*ruleDef
	// order keeps the first definition order of rules, macros and lists.
	ruleOrder  []*ruleDef
	listOrder  []*listDef
	macroOrder []*macroDef
	// seq counts macro definitions and appends (macroDef.visibility).
	seq int
}

func (l *loader) report(sev Severity, code string, w where, item, format string, args ...any) {
	l.diags = append(l.diags, Diagnostic{Severity: sev, Code: code, File: w.file, Line: w.line, Column: w.col,
		Item: item, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) loadFile(f File) {
	// A file may hold several YAML documents (separated by ---): Falco
	// reads them all, and a syntax error anywhere loads none of them.
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w, msg := where{file: f.Name}, strings.TrimPrefix(err.Error(), "yaml: ")
			var line int
			if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
				w.line, w.col = line, 1
				msg = strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])
			}
			l.report(Error, ErrYAMLParse, w, "", "%s", msg)
			return
		}
		docs = append(docs, &doc)
	}
	for _, doc := range docs {
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue // an empty document holds no items
		}
		root := doc.Content[0]
		if root.Kind != yaml.SequenceNode {
			l.report(Error, ErrYAMLValidate, at(f.Name, root), "", "a rules file is a list of items (rule, macro, list, ...)")
			continue
		}
		for _, n := range root.Content {
			if isNull(n) {
				continue // an empty item ("-" alone), which Falco skips
			}
			l.loadItem(f.Name, n)
		}
	}
}

// isNull reports whether n is YAML's null: nothing, ~ or null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// fields maps an item's keys to their value nodes.
type fields struct {
	keys []string
	val  map[string]*yaml.Node
	key  map[string]*yaml.Node
}

func mapping(n *yaml.Node) (fields, bool) {
	if n.Kind != yaml.MappingNode {
		return fields{}, false
	}
	f := fields{val: map[string]*yaml.Node{}, key: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		f.keys = append(f.keys, k)
		f.val[k], f.key[k] = n.Content[i+1], n.Content[i]
	}
	return f, true
}

func (f fields) has(k string) bool { return f.val[k] != nil }

var itemKeys = map[string][]string{
	"list":  {"list", "items", "append", "override"},
	"macro": {"macro", "condition", "append", "override"},
	"rule": {"rule", "desc", "condition", "output", "priority", "source", "enabled", "tags", "exceptions",
		"append", "override", "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration"},
}

func (l *loader) loadItem(file string, n *yaml.Node) {
	f, ok := mapping(n)
	if !ok {
		l.report(Error, ErrYAMLValidate, at(file, n), "", "unexpected element type: each item must be a YAML mapping")
		return
	}
	switch {
	case f.has("required_engine_version"):
		l.engineVersion(file, f.val["required_engine_version"])
	case f.has("required_plugin_versions"):
		l.pluginVersions(file, f.val["required_plugin_versions"])
	case f.has("list"):
		l.list(file, n, f)
	case f.has("macro"):
		l.macro(file, n, f)
	case f.has("rule"):
		l.rule(file, n, f)
	default:
		name := ""
		if len(f.keys) > 0 {
			name = f.keys[0]
		}
		l.report(Warning, WarnUnknownItem, at(file, n), "", "unknown top level item %q, skipped", name)
	}
}

// checkKeys warns about keys an item of this kind does not have.
func (l *loader) checkKeys(file, kind, item string, f fields) {
	for _, k := range f.keys {
		if !slices.Contains(itemKeys[kind], k) {
			l.report(Warning, WarnUnknownKey, at(file, f.key[k]), item, "unknown key %q, ignored", k)
		}
	}
}

func scalar(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

func boolean(n *yaml.Node) (bool, bool) {
	var b bool
	if n == nil || n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		return false, false
	}
	return b, true
}

func stringList(n *yaml.Node) ([]string, bool) {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode || isNull(c) {
			return nil, false
		}
		out = append(out, c.Value)
	}
	return out, true
}

// overrides reads an item's override: key → "append" or "replace".
func (l *loader) overrides(file, item string, f fields, allowed map[string][]string) (map[string]string, bool) {
	n := f.val["override"]
	if n == nil {
		return nil, true
	}
	o, ok := mapping(n)
	if !ok {
		l.report(Error, ErrYAMLValidate, at(file, n), item, "override must be a mapping of keys to append or replace")
		return nil, false
	}
	out := map[string]string{}
	good := true
	for _, k := range o.keys {
		how, _ := scalar(o.val[k])
		if !slices.Contains(allowed[how], k) {
			l.report(Error, ErrValidate, at(file, o.val[k]), item, "key %q cannot be overridden with %q", k, how)
			good = false
			continue
		}
		if !f.has(k) {
			l.report(Error, ErrValidate, at(file, o.key[k]), item, "key %q is overridden but has no value in this item", k)
			good = false
			continue
		}
		out[k] = how
	}
	for _, k := range f.keys {
		if k != "override" && k != itemKind(f) && out[k] == "" && slices.Contains(allowed["replace"], k) {
			l.report(Error, ErrValidate, at(file, f.key[k]), item, "key %q needs an override entry (append or replace)", k)
			good = false
		}
	}
	return out, good
}

func itemKind(f fields) string {
	for _, k := range []string{"rule", "macro", "list"} {
		if f.has(k) {
			return k
		}
	}
	return ""
}

func (l *loader) list(file string, n *yaml.Node, f fields) {
	name, ok := scalar(f.val["list"])
	if !ok || name == "" {
		l.report(Error, ErrYAMLValidate, at(file, n), "", "list name must be a non-empty string")
		return
	}
	item := "list '" + name + "'"
	l.checkKeys(file, "list", item, f)
	if in := f.val["items"]; in != nil && in.Kind == yaml.SequenceNode {
		for _, c := range in.Content {
			if isNull(c) {
				// Unlike an empty item of the file, Falco refuses one here.
				l.report(Error, ErrYAMLValidate, at(file, c), item, "an empty item (null) in items: sequence value is not scalar")
				return
			}
		}
	}
	items, ok := stringList(f.val["items"])
	if !ok {
		l.report(Error, ErrYAMLValidate, at(file, n), item, "list needs items: a sequence of strings")
		return
	}
	for i := range items {
		items[i] = listItem(items[i])
	}
	appendTo, _ := boolean(f.val["append"])
	ov, ok := l.overrides(file, item, f, map[string][]string{"append": {"items"}, "replace": {"items"}})
	if !ok {
		return
	}
	prev := l.lists[name]
	if appendTo || ov != nil {
		if appendTo && ov != nil {
			l.report(Error, ErrValidate, at(file, n), item, "keys 'override' and 'append: true' cannot be used together")
			return
		}
		if prev == nil {
			l.report(Error, ErrValidate, at(file, n), item, "list has 'append' or 'override' but no list by that name already exists")
			return
		}
		if appendTo || ov["items"] == "append" {
			if len(items) == 0 {
				l.report(Warning, WarnAppendNoValues, at(file, n), item, "appending no items")
			}
			prev.items = append(prev.items, items...)
		} else {
			prev.items = items
		}
		return
	}
	def := &listDef{name: name, items: items, at: at(file, n)}
	if prev != nil {
		*prev = *def // redefining replaces, in its first place
		return
	}
	l.lists[name] = def
	l.listOrder = append(l.listOrder, def)
}

func (l *loader) macro(file string, n *yaml.Node, f fields) {
	name, ok := scalar(f.val["macro"])
	if !ok || name == "" {
		l.report(Error, ErrYAMLValidate, at(file, n), "", "macro name must be a non-empty string")
		return
	}
	item := "macro '" + name + "'"
	l.checkKeys(file, "macro", item, f)
	cond, ok := scalar(f.val["condition"])
	if !ok {
		l.report(Error, ErrYAMLValidate, at(file, n), item, "macro needs a condition (a string)")
		return
	}
	appendTo, _ := boolean(f.val["append"])
	ov, ok := l.overrides(file, item, f, map[string][]string{"append": {"condition"}, "replace": {"condition"}})
	if !ok {
		return
	}
	prev := l.macros[name]
	if appendTo || ov != nil {
		if appendTo && ov != nil {
			l.report(Error, ErrValidate, at(file, n), item, "keys 'override' and 'append: true' cannot be used together")
			return
		}
		if prev == nil {
			l.report(Error, ErrValidate, at(file, n), item, "macro has 'append' or 'override' but no macro by that name already exists")
			return
		}
		if appendTo || ov["condition"] == "append" {
			prev.cond += " " + cond
		} else {
			prev.cond, prev.condAt = cond, at(file, f.val["condition"])
		}
		l.seq++
		prev.visibility = l.seq
		return
	}
	l.seq++
	def := &macroDef{name: name, cond: cond, at: at(file, n), condAt: at(file, f.val["condition"]), index: l.seq, visibility: l.seq}
	if prev != nil {
		def.index = prev.index
		*prev = *def
		return
	}
	l.macros[name] = def
	l.macroOrder = append(l.macroOrder, def)
}

// engineVersion refuses files written for a later engine.
func (l *loader) engineVersion(file string, n *yaml.Node) {
	v, ok := scalar(n)
	if !ok {
		l.report(Error, ErrYAMLValidate, at(file, n), "", "required_engine_version must be a version")
		return
	}
	if _, err := strconv.Atoi(v); err == nil {
		v = "0." + v + ".0" // the old form: a bare number is the minor version
	}
	req, err := parseSemver(v)
	if err != nil {
		l.report(Error, ErrYAMLValidate, at(file, n), "", "required_engine_version %q: %v", v, err)
		return
	}
	have, _ := parseSemver(EngineVersion)
	if !have.satisfies(req) {
		l.report(Error, ErrVersion, at(file, n), "", "rules require engine version %s, but engine version is %s", v, EngineVersion)
	}
}

// pluginVersions checks that each plugin the file needs, or one of its
// alternatives, is provided (Options.Plugins) at a compatible version.
func (l *loader) pluginVersions(file string, n *yaml.Node) {
	type req struct {
		Name         string `yaml:"name"`
		Version      string `yaml:"version"`
		Alternatives []struct {
			Name    string `yaml:"name"`
			Version string `yaml:"version"`
		} `yaml:"alternatives"`
	}
	var reqs []req
	if err := n.Decode(&reqs); err != nil {
		l.report(Error, ErrYAMLValidate, at(file, n), "", "required_plugin_versions must be a list of {name, version, alternatives}")
		return
	}
	for i, r := range reqs {
		pos := at(file, n.Content[i])
		okay := l.pluginOK(r.Name, r.Version)
		for _, a := range r.Alternatives {
			okay = okay || l.pluginOK(a.Name, a.Version)
		}
		if okay {
			continue
		}
		have, known := l.opts.Plugins[r.Name]
		if known {
			l.report(Error, ErrVersion, pos, "", "plugin '%s' version requirement not met: rules need %s, this engine provides %s", r.Name, r.Version, have)
		} else {
			l.report(Error, ErrVersion, pos, "", "plugin '%s' is required and not provided (this engine provides %s)", r.Name, providedPlugins(l.opts.Plugins))
		}
	}
}

func (l *loader) pluginOK(name, version string) bool {
	have, ok := l.opts.Plugins[name]
	if !ok {
		return false
	}
	h, err1 := parseSemver(have)
	r, err2 := parseSemver(version)
	return err1 == nil && err2 == nil && h.satisfies(r)
}

func providedPlugins(p map[string]string) string {
	var out []string
	for n, v := range p {
		out = append(out, n+" "+v)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

type semver [3]int

func parseSemver(s string) (semver, error) {
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) != 3 {
		return semver{}, fmt.Errorf("not a version of the form MAJOR.MINOR.PATCH")
	}
	var v semver
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return semver{}, fmt.Errorf("not a version of the form MAJOR.MINOR.PATCH")
		}
		v[i] = n
	}
	return v, nil
}

// satisfies reports whether v can serve what req asks for: the same major
// version, and not older.
func (v semver) satisfies(req semver) bool {
	if v[0] != req[0] {
		return false
	}
	if v[1] != req[1] {
		return v[1] > req[1]
	}
	return v[2] >= req[2]
}
