package falco

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Options configure Load.
type Options struct {
	// Sources are the event sources rules may be written for; a rule for
	// any other source is skipped with a warning, as Falco does.
	Sources []Source
	// Plugins are the plugins (name → version) whose fields the sources
	// provide, checked against required_plugin_versions.
	Plugins map[string]string
}

// Rules are compiled rules files, ready to evaluate events; safe for
// concurrent use (each goroutine evaluates with its own Matcher).
type Rules struct {
	all      []*Rule
	byName   map[string]*Rule
	bySource map[string][]*Rule
	// byType and anyType index bySource by event type (MatchType).
	byType  map[string]map[string][]*Rule
	anyType map[string][]*Rule
	slots   []Extractor
}

// Rule is one compiled rule.
type Rule struct {
	Name     string
	Desc     string
	Source   string
	Priority Priority
	Tags     []string
	Enabled  bool
	// Output is the output template as written, trimmed, with the
	// deprecated %container.info removed as Falco removes it.
	Output string
	// Evaluated is false for rules whose source's events Palisade does not
	// see (syscall rules: a Falco sensor evaluates them).
	Evaluated bool

	cond cond
	out  template
	// evtTypes and allTypes are the condition's event types (EventTypes).
	evtTypes []string
	allTypes bool
	// paths is the condition's constraint on fd.name (PathFilter), nil
	// when it has none.
	paths *pathSet
}

// All returns every rule that compiled, in file order, disabled ones
// included.
func (rs *Rules) All() []*Rule { return rs.all }

// Rule returns the rule with this name, or nil.
func (rs *Rules) Rule(name string) *Rule { return rs.byName[name] }

// Load reads rules files in order (later files append to and override
// earlier ones, as with Falco's -r) and compiles them. Diagnostics hold
// every error and warning; Rules holds the rules that compiled, and is
// nil only when nothing could be read at all.
func Load(opts Options, files ...File) (*Rules, Diagnostics) {
	l := &loader{opts: opts, lists: map[string]*listDef{}, macros: map[string]*macroDef{}, rules: map[string]*ruleDef{}}
	for _, f := range files {
		l.loadFile(f)
	}
	c := &compiler{loader: l, sources: map[string]Source{}, slotOf: map[string]int{}, universes: map[string]typeSet{}}
	for _, s := range opts.Sources {
		c.sources[s.Name()] = s
	}
	rs := c.compile()
	return rs, l.diags
}

type compiler struct {
	*loader
	// uncaptured collects, for the rule being compiled, the fields it
	// reads that its source does not capture (Source.Uncaptured).
	uncaptured []string
	sources    map[string]Source
	rs         *Rules
	// slotOf maps "source\x00field[arg]" to its extraction slot.
	slotOf map[string]int
	// universes are the event type names of each EventTyper source.
	universes map[string]typeSet
}

func (c *compiler) compile() *Rules {
	c.rs = &Rules{byName: map[string]*Rule{}, bySource: map[string][]*Rule{}}
	for _, m := range c.macroOrder {
		tree, err := parseCondition(m.cond)
		if err != nil {
			c.report(Error, ErrCompileCondition, m.condAt, "macro '"+m.name+"'", "%v", err)
			continue
		}
		m.tree = tree
	}
	// Every macro is checked, used or not, as Falco does: the macros it
	// refers to must be defined before it, and must not loop back to it.
	// (Fields are checked only in the rules that use the macro: a macro has
	// no source of its own.)
	for _, m := range c.macroOrder {
		if m.tree == nil {
			continue
		}
		if _, err := c.expand(m.tree, []string{m.name}, m.visibility); err != nil {
			m.broken = true
			if !errors.Is(err, errBrokenMacro) {
				c.report(Error, ErrValidate, m.condAt, "macro '"+m.name+"'", "%v", err)
			}
		}
	}
	notEvaluated := map[string]int{}
	unknownSources := map[string]bool{}
	for _, d := range c.ruleOrder {
		item := "rule '" + d.name + "'"
		src, ok := c.sources[d.source]
		if !ok {
			if !unknownSources[d.source] {
				c.report(Warning, WarnUnknownSource, d.at, item, "unknown source %s, skipping (and every other rule of that source)", d.source)
				unknownSources[d.source] = true
			}
			continue
		}
		r, ok := c.rule(d, src)
		if !ok {
			continue
		}
		c.rs.all = append(c.rs.all, r)
		c.rs.byName[r.Name] = r
		if !r.Evaluated {
			notEvaluated[r.Source]++
			continue
		}
		if r.Enabled {
			c.rs.bySource[r.Source] = append(c.rs.bySource[r.Source], r)
		}
	}
	c.rs.indexTypes()
	for _, s := range sortedKeys(notEvaluated) {
		c.report(Warning, WarnNotEvaluated, where{file: c.firstFile()}, "",
			"%d rules of source %s compiled; Palisade does not see %s events itself and acts on the alerts a Falco sensor posts for them",
			notEvaluated[s], s, s)
	}
	for _, m := range c.macroOrder {
		if !m.used {
			c.report(Warning, WarnUnusedMacro, m.at, "macro '"+m.name+"'", "macro not referred to by any rule or macro")
		}
	}
	for _, li := range c.listOrder {
		if !li.used {
			c.report(Warning, WarnUnusedList, li.at, "list '"+li.name+"'", "list not referred to by any rule, macro or list")
		}
	}
	return c.rs
}

func (c *compiler) firstFile() string {
	if len(c.ruleOrder) > 0 {
		return c.ruleOrder[0].at.file
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// errUnknownField marks a condition or output naming a field its source
// does not define (skip-if-unknown-filter turns it into a warning).
var errUnknownField = errors.New("unknown field")

// containerInfo is the output token Falco drops from outputs: the container
// plugin adds container fields to every alert itself.
const containerInfo = "%container.info"

// unknownFilter reports whether err names a field or an event type the
// source does not know: what skip-if-unknown-filter skips.
func unknownFilter(err error) bool {
	return errors.Is(err, errUnknownField) || errors.Is(err, errUnknownEventType)
}

// rule compiles one rule definition.
func (c *compiler) rule(d *ruleDef, src Source) (*Rule, bool) {
	item := "rule '" + d.name + "'"
	tree, err := parseCondition(d.cond)
	if err != nil {
		c.report(Error, ErrCompileCondition, d.condAt, item, "%v", err)
		return nil, false
	}
	if ex := c.exceptionTree(d); ex != nil {
		tree = &andNode{at: tree.pos(), kids: []node{tree, ex}}
	}
	expanded, err := c.expand(tree, nil, anyMacro)
	if err != nil {
		// Falco reports macro resolution as a validation error.
		c.report(Error, ErrValidate, d.condAt, item, "%v", err)
		return nil, false
	}
	c.uncaptured = c.uncaptured[:0]
	r := &Rule{Name: d.name, Desc: d.desc, Source: d.source, Priority: d.priority, Tags: d.tags, Enabled: d.enabled,
		Output: strings.TrimSpace(d.output), Evaluated: true, allTypes: true}
	if strings.Contains(r.Output, containerInfo) {
		c.report(Warning, WarnDeprecatedItem, d.at, item, "%%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. "+
			"The container plugin will automatically add required fields to the output message.")
		r.Output = strings.ReplaceAll(r.Output, containerInfo, "")
	}
	cd, evaluated, err := c.cond(expanded, src)
	if err == nil {
		r.cond, r.Evaluated = cd, evaluated
		if u := c.eventTypeNames(src); u != nil {
			r.evtTypes, r.allTypes = eventTypes(expanded, u)
			r.paths = pathsOf(expanded, false)
			if d.warnEvttypes && (r.allTypes || len(r.evtTypes) == 0 || len(r.evtTypes) > tooManyTypes) {
				c.report(Warning, WarnNoEvttype, d.at, item, "Rule matches too many evt.type values. This has a significant performance penalty.")
			}
		}
		r.out, err = c.template(r.Output, src, evaluated)
		if err != nil {
			if unknownFilter(err) && d.skipUnknown {
				c.report(Warning, WarnUnknownFilter, d.outputAt, item, "%v; rule skipped (skip-if-unknown-filter)", err)
				return nil, false
			}
			c.report(Error, ErrCompileOutput, d.outputAt, item, "%v", err)
			return nil, false
		}
		if len(c.uncaptured) > 0 {
			c.report(Warning, WarnNotCaptured, d.at, item,
				"Palisade's %s sensor does not capture %s: conditions on these fields are false, outputs show <NA>",
				src.Name(), strings.Join(c.uncaptured, ", "))
		}
		return r, true
	}
	if unknownFilter(err) && d.skipUnknown {
		c.report(Warning, WarnUnknownFilter, d.condAt, item, "%v; rule skipped (skip-if-unknown-filter)", err)
		return nil, false
	}
	c.report(Error, ErrCompileCondition, d.condAt, item, "%v", err)
	return nil, false
}

// exceptionTree turns a rule's exceptions into "not (tuple or tuple ...)",
// nil when no exception has values.
func (c *compiler) exceptionTree(d *ruleDef) node {
	var alts []node
	for _, e := range d.exceptions {
		if e.single {
			comp := e.comps[0]
			if listOps[comp] {
				var vals []string
				for _, t := range e.values {
					vals = append(vals, t[0].items...)
				}
				if len(vals) > 0 {
					alts = append(alts, exceptionCheck(e.fields[0], comp, exceptionValue{items: vals, list: true}))
				}
				continue
			}
			for _, t := range e.values {
				alts = append(alts, exceptionCheck(e.fields[0], comp, t[0]))
			}
			continue
		}
		for _, t := range e.values {
			kids := make([]node, len(t))
			for i, v := range t {
				kids[i] = exceptionCheck(e.fields[i], e.comps[i], v)
			}
			alts = append(alts, &andNode{kids: kids})
		}
	}
	if len(alts) == 0 {
		return nil
	}
	return &notNode{kid: &orNode{kids: alts}}
}

func exceptionCheck(field, comp string, v exceptionValue) node {
	name, arg, hasArg, _ := splitField(token{text: field})
	n := &checkNode{field: name, arg: arg, hasArg: hasArg, op: comp}
	for _, it := range v.items {
		n.values = append(n.values, listItem(it))
		n.bare = append(n.bare, true) // a value may name a list, as in Falco
	}
	return n
}

// errBrokenMacro marks a reference to a macro whose own check failed (and
// was reported).
var errBrokenMacro = errors.New("macro does not compile")

// anyMacro is the visibility of a rule's condition: every macro.
const anyMacro = int(^uint(0) >> 1)

// expand replaces macro references by their conditions and list names by
// their items, marking both used. Only macros first defined before vis
// are visible; stack detects macros that refer to themselves.
func (c *compiler) expand(n node, stack []string, vis int) (node, error) {
	switch n := n.(type) {
	case *andNode:
		kids, err := c.expandAll(n.kids, stack, vis)
		if err != nil {
			return nil, err
		}
		return &andNode{n.at, kids}, nil
	case *orNode:
		kids, err := c.expandAll(n.kids, stack, vis)
		if err != nil {
			return nil, err
		}
		return &orNode{n.at, kids}, nil
	case *notNode:
		k, err := c.expand(n.kid, stack, vis)
		if err != nil {
			return nil, err
		}
		return &notNode{n.at, k}, nil
	case *macroNode:
		m := c.macros[n.name]
		if m == nil || m.index >= vis {
			return nil, fmt.Errorf("undefined macro '%s' used in filter", n.name)
		}
		m.used = true
		if slices.Contains(stack, n.name) {
			return nil, fmt.Errorf("reference loop in macro '%s' (%s)", n.name, strings.Join(append(stack, n.name), " → "))
		}
		if m.tree == nil || m.broken {
			if len(stack) > 0 && vis != anyMacro {
				return nil, errBrokenMacro
			}
			return nil, fmt.Errorf("macro '%s' has a condition that does not compile", n.name)
		}
		return c.expand(m.tree, append(stack, n.name), m.visibility)
	case *checkNode:
		if !listOps[n.op] {
			return n, nil
		}
		out := *n
		out.values, out.bare = nil, nil
		for i, v := range n.values {
			if n.bare[i] {
				if li := c.lists[v]; li != nil {
					out.values = append(out.values, c.listItems(li, nil)...)
					continue
				}
			}
			out.values = append(out.values, v)
		}
		return &out, nil
	}
	return n, nil
}

func (c *compiler) expandAll(ns []node, stack []string, vis int) ([]node, error) {
	out := make([]node, len(ns))
	for i, k := range ns {
		e, err := c.expand(k, stack, vis)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// listItems returns a list's items with the lists it names expanded.
func (c *compiler) listItems(li *listDef, seen []string) []string {
	li.used = true
	if slices.Contains(seen, li.name) {
		return nil
	}
	var out []string
	for _, it := range li.items {
		if sub := c.lists[it]; sub != nil && sub != li {
			out = append(out, c.listItems(sub, append(seen, li.name))...)
			continue
		}
		out = append(out, it)
	}
	return out
}
