package falco

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Matcher evaluates events against Rules. It caches each field's values
// for the event at hand, so rules reading the same field extract it once.
// A Matcher is not safe for concurrent use: give each goroutine its own.
type Matcher struct {
	rs    *Rules
	evt   Event
	gen   uint32
	cache []slotCache
	// out is reused to format outputs.
	out []byte
}

type slotCache struct {
	gen  uint32
	vals []Value
}

// NewMatcher returns a Matcher for rs.
func (rs *Rules) NewMatcher() *Matcher {
	return &Matcher{rs: rs, cache: make([]slotCache, len(rs.slots))}
}

// Evaluated returns the enabled rules of a source that Palisade evaluates.
func (rs *Rules) Evaluated(source string) []*Rule { return rs.bySource[source] }

// Match evaluates e, an event of source, against every enabled rule of
// that source in file order, and calls fn for each rule that matches until
// fn returns false. The event's values stay readable (Output, Fields)
// until the next Match.
func (m *Matcher) Match(source string, e Event, fn func(*Rule) bool) {
	m.reset(e)
	for _, r := range m.rs.bySource[source] {
		if r.cond.eval(m) && !fn(r) {
			return
		}
	}
}

// Matches reports whether rule r matches e.
func (m *Matcher) Matches(r *Rule, e Event) bool {
	if !r.Evaluated || r.cond == nil {
		return false
	}
	m.reset(e)
	return r.cond.eval(m)
}

func (m *Matcher) reset(e Event) {
	m.evt = e
	m.gen++
	if m.gen == 0 { // wrapped: forget every cached value
		for i := range m.cache {
			m.cache[i].gen = 0
		}
		m.gen = 1
	}
}

func (m *Matcher) values(slot int) []Value {
	s := &m.cache[slot]
	if s.gen != m.gen {
		s.vals = m.rs.slots[slot](m.evt, s.vals[:0])
		s.gen = m.gen
	}
	return s.vals
}

// template is a compiled output: text between field references.
type template struct {
	parts []part
}

type part struct {
	text string
	// field is set for a field reference; slot reads it.
	field string
	typ   FieldType
	list  bool
	slot  int
}

// template compiles an output format: %field and %field[arg] are replaced
// by the field's value (<NA> when absent, (a,b) for several values).
func (c *compiler) template(out string, src Source, evaluated bool) (template, error) {
	var t template
	var lit strings.Builder
	for i := 0; i < len(out); i++ {
		ch := out[i]
		if ch != '%' || i+1 >= len(out) || !isFieldStart(out[i+1]) {
			lit.WriteByte(ch)
			continue
		}
		j := i + 1
		for j < len(out) && isFieldChar(out[j]) {
			j++
		}
		ref := strings.TrimRight(out[i+1:j], ".")
		j = i + 1 + len(ref)
		arg, hasArg := "", false
		if j < len(out) && out[j] == '[' {
			if end := strings.IndexByte(out[j:], ']'); end > 0 {
				arg, hasArg = out[j+1:j+end], true
				j += end + 1
			}
		}
		f, slot, ok, err := c.field(src, ref, arg, hasArg)
		if err != nil {
			return template{}, err
		}
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{text: lit.String()})
			lit.Reset()
		}
		name := ref
		if hasArg {
			name += "[" + arg + "]"
		}
		if ok && evaluated {
			t.parts = append(t.parts, part{field: name, typ: f.Type, list: f.List && !(f.Index && hasArg), slot: slot})
		} else {
			t.parts = append(t.parts, part{field: name, slot: -1})
		}
		i = j - 1
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, part{text: lit.String()})
	}
	return t, nil
}

func isFieldStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isFieldChar(c byte) bool { return isFieldStart(c) || c >= '0' && c <= '9' || c == '.' }

// Output formats r's output for the event of the last Match.
func (m *Matcher) Output(r *Rule) string {
	buf := m.out[:0]
	for _, p := range r.out.parts {
		if p.field == "" {
			buf = append(buf, p.text...)
			continue
		}
		buf = m.appendField(buf, p)
	}
	m.out = buf
	return string(buf)
}

// Fields returns the values of the fields r's output names, for the event
// of the last Match: strings, numbers, or nil when absent (Falco's
// output_fields).
func (m *Matcher) Fields(r *Rule) map[string]any {
	out := map[string]any{}
	for _, p := range r.out.parts {
		if p.field == "" {
			continue
		}
		if p.slot < 0 {
			out[p.field] = nil
			continue
		}
		vals := m.values(p.slot)
		switch {
		case len(vals) == 0:
			out[p.field] = nil
		case !p.list && (p.typ == Int):
			out[p.field] = vals[0].N
		case !p.list && p.typ == Bool:
			out[p.field] = vals[0].N != 0
		default:
			out[p.field] = string(m.appendField(nil, p))
		}
	}
	return out
}

// appendField appends a field's text: <NA> when absent, (a,b) for
// several values.
func (m *Matcher) appendField(buf []byte, p part) []byte {
	if p.slot < 0 {
		return append(buf, "<NA>"...)
	}
	vals := m.values(p.slot)
	if len(vals) == 0 {
		return append(buf, "<NA>"...)
	}
	one := func(buf []byte, v Value) []byte {
		switch p.typ {
		case Int:
			return strconv.AppendInt(buf, v.N, 10)
		case Bool:
			return strconv.AppendBool(buf, v.N != 0)
		case IP, Net:
			if a, ok := netip.AddrFromSlice(v.B); ok {
				return a.AppendTo(buf)
			}
		}
		return append(buf, v.B...)
	}
	if !p.list && len(vals) == 1 {
		return one(buf, vals[0])
	}
	buf = append(buf, '(')
	for i, v := range vals {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = one(buf, v)
	}
	return append(buf, ')')
}

// String describes a rule for listings.
func (r *Rule) String() string {
	state := "enabled"
	if !r.Enabled {
		state = "disabled"
	}
	return fmt.Sprintf("%s [%s, %s, %s]", r.Name, r.Source, r.Priority, state)
}
