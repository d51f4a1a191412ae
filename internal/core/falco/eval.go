package falco

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// cond is a compiled condition: it evaluates against the Matcher's event
// without re-parsing anything.
type cond interface {
	eval(m *Matcher) bool
}

type (
	andCond   []cond
	orCond    []cond
	notCond   struct{ c cond }
	constCond bool
)

func (a andCond) eval(m *Matcher) bool {
	for _, c := range a {
		if !c.eval(m) {
			return false
		}
	}
	return true
}

func (o orCond) eval(m *Matcher) bool {
	for _, c := range o {
		if c.eval(m) {
			return true
		}
	}
	return false
}

func (n notCond) eval(m *Matcher) bool      { return !n.c.eval(m) }
func (k constCond) eval(*Matcher) bool      { return bool(k) }
func (c *check) eval(m *Matcher) bool       { return c.match(m.values(c.slot)) }
func (c *existsCheck) eval(m *Matcher) bool { return len(m.values(c.slot)) > 0 }

// existsCheck is "field exists".
type existsCheck struct{ slot int }

// check compares a field's values with its operand(s).
type check struct {
	field string
	op    string
	slot  int
	typ   FieldType
	list  bool
	// Operands, by type: strs (String and friends, lower-cased for the
	// case-insensitive operators), nums (Int and Bool), nets (IP and Net:
	// an address is a network of one), set for long "in" lists, re for
	// regex.
	strs []string
	nums []int64
	nets []netip.Prefix
	set  map[string]struct{}
	re   *regexp.Regexp
}

// cond compiles an expanded tree against a source. evaluated is false when
// the source has no extractors (its rules are compiled, not evaluated).
func (c *compiler) cond(n node, src Source) (cd cond, evaluated bool, err error) {
	evaluated = true
	var walk func(n node) (cond, error)
	walk = func(n node) (cond, error) {
		switch n := n.(type) {
		case *andNode, *orNode:
			var kids []node
			if a, ok := n.(*andNode); ok {
				kids = a.kids
			} else {
				kids = n.(*orNode).kids
			}
			out := make([]cond, len(kids))
			for i, k := range kids {
				cc, err := walk(k)
				if err != nil {
					return nil, err
				}
				out[i] = cc
			}
			if _, ok := n.(*andNode); ok {
				return andCond(out), nil
			}
			return orCond(out), nil
		case *notNode:
			k, err := walk(n.kid)
			if err != nil {
				return nil, err
			}
			return notCond{k}, nil
		case *constNode:
			return constCond(n.v), nil
		case *checkNode:
			ck, ev, err := c.check(n, src)
			if !ev {
				evaluated = false
			}
			return ck, err
		}
		return nil, fmt.Errorf("unexpected condition node %T", n)
	}
	cd, err = walk(n)
	return cd, evaluated, err
}

// field resolves a field reference of src to its slot; ok is false when
// the source does not evaluate its events.
func (c *compiler) field(src Source, name, arg string, hasArg bool) (Field, int, bool, error) {
	f, known := src.Field(name)
	if !known {
		return Field{}, 0, false, fmt.Errorf("%w: filter_check called with nonexistent field %s (source %s)", errUnknownField, name, src.Name())
	}
	if f.Name != name && strings.HasPrefix(name, f.Name+".") && !hasArg {
		// A field whose argument follows a dot (evt.arg.fd, k8s.pod.label.app).
		name, arg, hasArg = f.Name, name[len(f.Name)+1:], true
	}
	switch {
	case f.Arg == ArgRequired && !hasArg:
		return f, 0, false, fmt.Errorf("field %s requires an argument: %s[...]", name, name)
	case f.Arg == ArgNone && hasArg:
		return f, 0, false, fmt.Errorf("field %s does not take an argument ([%s] given)", name, arg)
	}
	ext, err := src.Extractor(f, arg)
	if err != nil {
		return f, 0, false, fmt.Errorf("field %s[%s]: %v", name, arg, err)
	}
	if u, ok := src.(interface{ Uncaptured(string) bool }); ok && u.Uncaptured(f.Name) && !slices.Contains(c.uncaptured, f.Name) {
		c.uncaptured = append(c.uncaptured, f.Name)
	}
	if ext == nil {
		return f, 0, false, nil
	}
	key := src.Name() + "\x00" + name
	if hasArg {
		key += "[" + arg + "]"
	}
	slot, seen := c.slotOf[key]
	if !seen {
		slot = len(c.rs.slots)
		c.slotOf[key] = slot
		c.rs.slots = append(c.rs.slots, ext)
	}
	return f, slot, true, nil
}

// check compiles one comparison: the field, the operator's fit with the
// field's type, and the operands converted once.
func (c *compiler) check(n *checkNode, src Source) (cond, bool, error) {
	f, slot, evaluated, err := c.field(src, n.field, n.arg, n.hasArg)
	if err != nil {
		return nil, false, err
	}
	if f.List && f.Index && n.hasArg {
		f.List = false // an indexed list field reads one value
	}
	op := n.op
	if op == "==" {
		op = "="
	}
	name := n.field
	if n.hasArg {
		name += "[" + n.arg + "]"
	}
	if err := opFits(op, f); err != nil {
		return nil, false, fmt.Errorf("%s: %v", name, err)
	}
	if err := c.checkEventType(n, src); err != nil {
		return nil, false, err
	}
	if op == "exists" {
		return &existsCheck{slot}, evaluated, nil
	}
	if !listOps[op] && len(n.values) != 1 {
		// An exception's value can be a list of any length.
		return nil, false, fmt.Errorf("%s %s takes one value, got %d", name, op, len(n.values))
	}
	ck := &check{field: name, op: op, slot: slot, typ: f.Type, list: f.List}
	switch f.Type {
	case Int, Bool:
		for _, v := range n.values {
			x, err := number(v, f.Type)
			if err != nil {
				return nil, false, fmt.Errorf("%s %s %q: %v", name, op, v, err)
			}
			ck.nums = append(ck.nums, x)
		}
	case IP, Net:
		for _, v := range n.values {
			p, err := ipOperand(v, f.Type)
			if err != nil {
				return nil, false, fmt.Errorf("%s %s %q: %v", name, op, v, err)
			}
			ck.nets = append(ck.nets, p)
		}
	default:
		ck.strs = append([]string(nil), n.values...)
		switch op {
		case "icontains", "iglob":
			for i, s := range ck.strs {
				ck.strs[i] = strings.ToLower(s)
			}
		case "regex":
			re, err := regexp.Compile(n.values[0])
			if err != nil {
				return nil, false, fmt.Errorf("%s regex %q: %v", name, n.values[0], err)
			}
			ck.re = re
		case "bcontains", "bstartswith":
			for i, s := range ck.strs {
				b, err := hexBytes(s)
				if err != nil {
					return nil, false, fmt.Errorf("%s %s %q: %v", name, op, s, err)
				}
				ck.strs[i] = string(b)
			}
		case "in", "intersects":
			if len(ck.strs) > 8 {
				ck.set = make(map[string]struct{}, len(ck.strs))
				for _, s := range ck.strs {
					ck.set[s] = struct{}{}
				}
			}
		}
	}
	return ck, evaluated, nil
}

// opFits refuses operators the field's type has no meaning for, as
// Falco's compiler does.
func opFits(op string, f Field) error {
	switch f.Type {
	case Int:
		switch op {
		case "contains", "icontains", "startswith", "endswith", "glob", "iglob", "pmatch", "regex", "bcontains", "bstartswith":
			return fmt.Errorf("'%s' operator not supported for numeric filters", op)
		}
	case Bool:
		switch op {
		case "=", "!=", "in", "intersects", "exists":
		default:
			return fmt.Errorf("'%s' operator not supported for boolean filters", op)
		}
	case IP, Net:
		switch op {
		case "=", "!=", "in", "intersects", "exists":
		default:
			return fmt.Errorf("'%s' operator not supported for IP address and network filters", op)
		}
	case String:
		if op == "bcontains" || op == "bstartswith" {
			return fmt.Errorf("'%s' operator not supported for string filters (use contains or startswith)", op)
		}
	}
	if f.List && (op == "<" || op == "<=" || op == ">" || op == ">=") {
		return fmt.Errorf("'%s' operator not supported for list filters", op)
	}
	return nil
}

func number(s string, t FieldType) (int64, error) {
	if t == Bool {
		switch strings.ToLower(s) {
		case "true":
			return 1, nil
		case "false":
			return 0, nil
		}
		return 0, fmt.Errorf("not a boolean (true or false)")
	}
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		u, uerr := strconv.ParseUint(s, 0, 64)
		if uerr != nil {
			return 0, fmt.Errorf("not a number")
		}
		n = int64(u)
	}
	return n, nil
}

// ipOperand reads an operand of an IP field (an address, as a network of
// one) or of a Net field (a CIDR network, or an address).
func ipOperand(s string, t FieldType) (netip.Prefix, error) {
	if t == Net {
		if p, err := netip.ParsePrefix(s); err == nil {
			return p.Masked(), nil
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		if t == Net {
			return netip.Prefix{}, fmt.Errorf("not an IP network")
		}
		return netip.Prefix{}, fmt.Errorf("not an IP address")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func hexBytes(s string) ([]byte, error) {
	s = strings.ReplaceAll(s, " ", "")
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("not an even number of hex digits")
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("not hex")
		}
		out[i] = byte(v)
	}
	return out, nil
}

// match applies the operator to the field's values: absent fields match
// nothing; list fields with "in" need every value in the set; otherwise one
// matching value is enough.
func (c *check) match(vals []Value) bool {
	if len(vals) == 0 {
		return false
	}
	// Every value must match for a list field's "in", and for != on an IP
	// or Net field: fd.ip and fd.net, reading both ends of a connection,
	// differ from an address when neither end is it, as in Falco.
	if c.list && c.op == "in" || (c.typ == IP || c.typ == Net) && c.op == "!=" {
		for _, v := range vals {
			if !c.one(v) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if c.one(v) {
			return true
		}
	}
	return false
}

func (c *check) one(v Value) bool {
	switch c.typ {
	case Int, Bool:
		return c.num(v.N)
	case IP, Net:
		return c.ip(v.B)
	}
	b := v.B
	switch c.op {
	case "=":
		return string(b) == c.strs[0]
	case "!=":
		return string(b) != c.strs[0]
	case "in", "intersects":
		if c.set != nil {
			_, ok := c.set[string(b)]
			return ok
		}
		for _, s := range c.strs {
			if string(b) == s {
				return true
			}
		}
		return false
	case "contains", "bcontains":
		return bytes.Contains(b, []byte(c.strs[0]))
	case "icontains":
		return containsFold(b, c.strs[0])
	case "startswith", "bstartswith":
		return bytes.HasPrefix(b, []byte(c.strs[0]))
	case "endswith":
		return bytes.HasSuffix(b, []byte(c.strs[0]))
	case "glob":
		return glob(c.strs[0], string(b), false)
	case "iglob":
		return glob(c.strs[0], string(b), true)
	case "pmatch":
		for _, p := range c.strs {
			if pathPrefix(string(b), p) {
				return true
			}
		}
		return false
	case "regex":
		return c.re.Match(b)
	case "<":
		return string(b) < c.strs[0]
	case "<=":
		return string(b) <= c.strs[0]
	case ">":
		return string(b) > c.strs[0]
	case ">=":
		return string(b) >= c.strs[0]
	}
	return false
}

func (c *check) num(n int64) bool {
	switch c.op {
	case "=":
		return n == c.nums[0]
	case "!=":
		return n != c.nums[0]
	case "<":
		return n < c.nums[0]
	case "<=":
		return n <= c.nums[0]
	case ">":
		return n > c.nums[0]
	case ">=":
		return n >= c.nums[0]
	case "in", "intersects":
		for _, x := range c.nums {
			if n == x {
				return true
			}
		}
	}
	return false
}

// ip compares an address, 4 or 16 bytes, with the operands: = and in hold
// when a network holds it.
func (c *check) ip(b []byte) bool {
	a, ok := netip.AddrFromSlice(b)
	if !ok {
		return false
	}
	in := false
	for _, p := range c.nets {
		if p.Contains(a) {
			in = true
			break
		}
	}
	if c.op == "!=" {
		return !in
	}
	return in
}

// containsFold reports whether b contains lower (already lower case),
// ignoring ASCII case, without allocating.
func containsFold(b []byte, lower string) bool {
	n := len(lower)
	for i := 0; i+n <= len(b); i++ {
		j := 0
		for ; j < n; j++ {
			c := b[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// pathPrefix is pmatch: the path is the prefix or lies under it.
func pathPrefix(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || strings.HasSuffix(prefix, "/") || path[len(prefix)] == '/'
}

// Glob matches s against a shell pattern as fnmatch does without
// FNM_PATHNAME: * and ? cross slashes; [...] is a class ([!...] negated).
// Sources use it for fields whose argument is a pattern
// (container.mount[/data/*]).
func Glob(pattern, s string) bool { return glob(pattern, s, false) }

// glob is Glob, case-insensitive with fold.
func glob(pattern, s string, fold bool) bool {
	if fold {
		s = strings.ToLower(s)
	}
	px, sx := 0, 0
	starP, starS := -1, -1
	for sx < len(s) {
		if px < len(pattern) {
			switch pattern[px] {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				px++
				sx++
				continue
			case '[':
				if end, ok := classMatch(pattern[px:], s[sx]); end > 0 {
					if ok {
						px += end
						sx++
						continue
					}
				} else if s[sx] == '[' {
					px++
					sx++
					continue
				}
			default:
				if pattern[px] == s[sx] {
					px++
					sx++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		px, sx = starP+1, starS
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// classMatch reads a [...] class at the start of p; it returns the class's
// length (0 when unterminated) and whether c is in it.
func classMatch(p string, c byte) (int, bool) {
	i := 1
	neg := i < len(p) && (p[i] == '!' || p[i] == '^')
	if neg {
		i++
	}
	in := false
	first := true
	for ; i < len(p); i++ {
		if p[i] == ']' && !first {
			return i + 1, in != neg
		}
		first = false
		lo := p[i]
		hi := lo
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			hi = p[i+2]
			i += 2
		}
		if lo <= c && c <= hi {
			in = true
		}
	}
	return 0, false
}
