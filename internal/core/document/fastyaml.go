package document

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// fastYAMLToJSON converts the subset of YAML that Kubernetes manifests are
// written in straight to JSON, in one pass and without building a tree.
// Whatever it converts has the same JSON value as sigs.k8s.io/yaml's
// YAMLToJSON (yaml.v2, YAML 1.1 scalar resolution); anything it is not
// sure of (anchors, tags, flow mappings, multi-line flow scalars, scalars
// that resolve to anything but a string, null, boolean or a plain decimal
// number, malformed input...) makes it give up with ok false, and the
// caller falls back to the library. It never reports errors: those come
// from the library, with their lines.
//
// The subset: block mappings and sequences (also "- key: v" and sequences
// at their key's indentation), plain and quoted one-line scalars, one-line
// flow sequences and mappings of scalars, comments, and literal and
// folded block scalars without an indentation indicator.
func fastYAMLToJSON(data []byte) (out []byte, ok bool) {
	p := fastParsers.Get().(*fastParser)
	defer p.release()
	p.src = data
	if !p.splitLines() {
		return nil, false
	}
	i := p.nextContent()
	if i < 0 {
		return nil, false
	}
	p.out = make([]byte, 0, len(data)+len(data)/4)
	if !p.block(p.lines[i].indent) {
		return nil, false
	}
	if p.nextContent() >= 0 {
		return nil, false // a line less indented than the first one
	}
	return p.out, true
}

// fastMaxDepth bounds nesting (yaml.v2 has its own, larger limit).
const fastMaxDepth = 200

// fastMaxKey is below libyaml's 1024-character limit on simple keys.
const fastMaxKey = 1000

type fastLine struct {
	start, end int  // the line without its newline
	cs         int  // where its content starts (after the indentation)
	indent     int  // the column of its content
	nl         bool // it ends with a newline
}

type fastParser struct {
	src   []byte
	lines []fastLine
	pos   int // the next line to read
	out   []byte
	// The keys of the open mappings, innermost last: spans of keyBytes.
	keys     [][2]int
	keyBytes []byte
	depth    int
	buf      []byte // scratch for decoded quoted keys
}

// fastParsers keeps parsers' line tables and scratch for reuse.
var fastParsers = sync.Pool{New: func() any { return new(fastParser) }}

func (p *fastParser) release() {
	if cap(p.lines) > 1<<16 || cap(p.buf) > 1<<20 || cap(p.keyBytes) > 1<<20 {
		return // keep no huge tables around
	}
	*p = fastParser{lines: p.lines[:0], keys: p.keys[:0], keyBytes: p.keyBytes[:0], buf: p.buf[:0]}
	fastParsers.Put(p)
}

// splitLines indexes the lines and refuses what the parser never handles:
// tabs, carriage returns, control and non-printable characters, YAML 1.1
// line breaks (NEL, LS, PS), invalid UTF-8, a byte order mark, and document
// markers or directives.
func (p *fastParser) splitLines() bool {
	src := p.src
	if n := bytes.Count(src, []byte{'\n'}) + 1; cap(p.lines) < n {
		p.lines = make([]fastLine, 0, n)
	}
	start := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			if !p.addLine(start, i, true) {
				return false
			}
			i++
			start = i
		case c >= 0x20 && c < 0x7f:
			i++
		case c < 0x80:
			return false
		default:
			r, n := utf8.DecodeRune(src[i:])
			if !printableRune(r) || n == 1 {
				return false
			}
			i += n
		}
	}
	if start < len(src) {
		return p.addLine(start, len(src), false)
	}
	return true
}

// printableRune reports whether a non-ASCII rune may appear in a document
// the fast path reads: printable for YAML and not a line break.
func printableRune(r rune) bool {
	switch {
	case r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff:
		return false
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

func (p *fastParser) addLine(start, end int, nl bool) bool {
	cs := start
	for cs < end && p.src[cs] == ' ' {
		cs++
	}
	if cs == start && end-start >= 3 {
		l := p.src[start:end]
		if (l[0] == '-' && l[1] == '-' && l[2] == '-') || (l[0] == '.' && l[1] == '.' && l[2] == '.') {
			if end-start == 3 || l[3] == ' ' {
				return false
			}
		}
	}
	if cs == start && cs < end && p.src[cs] == '%' {
		return false
	}
	p.lines = append(p.lines, fastLine{start: start, end: end, cs: cs, indent: cs - start, nl: nl})
	return true
}

func (p *fastParser) content(i int) []byte { return p.src[p.lines[i].cs:p.lines[i].end] }

// nextContent returns the next line from pos that is neither blank nor a
// comment, or -1; it does not move pos.
func (p *fastParser) nextContent() int {
	for i := p.pos; i < len(p.lines); i++ {
		l := p.lines[i]
		if l.cs < l.end && p.src[l.cs] != '#' {
			return i
		}
	}
	return -1
}

func isSeqEntry(c []byte) bool { return c[0] == '-' && (len(c) == 1 || c[1] == ' ') }

// block reads the mapping or sequence whose first line (the next content
// line) is at column n.
func (p *fastParser) block(n int) bool {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > fastMaxDepth {
		return false
	}
	if isSeqEntry(p.content(p.nextContent())) {
		return p.sequence(n, false)
	}
	return p.mapping(n)
}

// nested reads the value of a key or of a "-" with nothing after it on its
// line: a block at a deeper column, a sequence at the key's own column
// (inMapping), or else null.
func (p *fastParser) nested(n int, inMapping bool) bool {
	i := p.nextContent()
	if i >= 0 {
		l := p.lines[i]
		if l.indent > n {
			return p.block(l.indent)
		}
		if l.indent == n && inMapping && isSeqEntry(p.content(i)) {
			p.depth++
			defer func() { p.depth-- }()
			return p.depth <= fastMaxDepth && p.sequence(n, true)
		}
	}
	p.out = append(p.out, "null"...)
	return true
}

func (p *fastParser) mapping(n int) bool {
	p.out = append(p.out, '{')
	keys, keyBytes := len(p.keys), len(p.keyBytes)
	defer func() { p.keys, p.keyBytes = p.keys[:keys], p.keyBytes[:keyBytes] }()
	for first := true; ; first = false {
		i := p.nextContent()
		if i < 0 || p.lines[i].indent < n {
			break
		}
		if p.lines[i].indent > n {
			return false
		}
		c := p.content(i)
		key, rest, ok := p.key(c)
		if !ok {
			return false
		}
		for _, k := range p.keys[keys:] {
			if string(p.keyBytes[k[0]:k[1]]) == string(key) {
				return false // yaml.v2 keeps the last; not worth the care
			}
		}
		p.keys = append(p.keys, [2]int{len(p.keyBytes), len(p.keyBytes) + len(key)})
		p.keyBytes = append(p.keyBytes, key...)
		if !first {
			p.out = append(p.out, ',')
		}
		p.out = appendJSONString(p.out, key)
		p.out = append(p.out, ':')
		p.pos = i + 1
		rest = trimSpaces(rest)
		if len(rest) == 0 || rest[0] == '#' {
			if !p.nested(n, true) {
				return false
			}
		} else if !p.inline(rest, n) {
			return false
		}
	}
	p.out = append(p.out, '}')
	return true
}

// sequence reads the entries at column n; an indentless sequence (one at
// its key's column) ends at the first line that is not an entry.
func (p *fastParser) sequence(n int, indentless bool) bool {
	p.out = append(p.out, '[')
	for first := true; ; first = false {
		i := p.nextContent()
		if i < 0 || p.lines[i].indent < n {
			break
		}
		if p.lines[i].indent > n {
			return false
		}
		c := p.content(i)
		if !isSeqEntry(c) {
			if indentless {
				break
			}
			return false
		}
		if !first {
			p.out = append(p.out, ',')
		}
		p.pos = i + 1
		sp := 1
		for sp < len(c) && c[sp] == ' ' {
			sp++
		}
		rest := c[sp:]
		switch {
		case len(rest) == 0 || rest[0] == '#':
			if !p.nested(n, false) {
				return false
			}
		case isSeqEntry(rest) || p.isKey(rest):
			// "- - a" or "- key: v": the rest of the line is the first
			// line of a block at its own column.
			p.lines[i].cs += sp
			p.lines[i].indent += sp
			p.pos = i
			if !p.block(p.lines[i].indent) {
				return false
			}
		default:
			if !p.inline(rest, n) {
				return false
			}
		}
	}
	p.out = append(p.out, ']')
	return true
}

// key reads "key:" at the start of c and returns the key and what follows
// the colon.
func (p *fastParser) key(c []byte) (key, rest []byte, ok bool) {
	var end int
	switch c[0] {
	case '"', '\'':
		var s []byte
		s, end, ok = p.quoted(c, false)
		if !ok {
			return nil, nil, false
		}
		key = s
		for end < len(c) && c[end] == ' ' {
			end++
		}
		if end >= len(c) || c[end] != ':' {
			return nil, nil, false
		}
	default:
		for end < len(c) && plainKeyByte(c[end]) {
			end++
		}
		if end == 0 || end >= len(c) || c[end] != ':' {
			return nil, nil, false
		}
		key = c[:end]
		if !isPlainKeyStart(key[0]) || resolvePlain(key) != scalarString {
			return nil, nil, false
		}
	}
	if end > fastMaxKey || (end+1 < len(c) && c[end+1] != ' ') {
		return nil, nil, false
	}
	return key, c[end+1:], true
}

// isKey reports whether c starts with "key:" (for "- key: v").
func (p *fastParser) isKey(c []byte) bool {
	if c[0] == '"' || c[0] == '\'' {
		_, end, ok := p.quoted(c, false)
		if !ok {
			return false
		}
		for end < len(c) && c[end] == ' ' {
			end++
		}
		return end < len(c) && c[end] == ':' && (end+1 == len(c) || c[end+1] == ' ')
	}
	end := 0
	for end < len(c) && plainKeyByte(c[end]) {
		end++
	}
	return end > 0 && end < len(c) && c[end] == ':' && (end+1 == len(c) || c[end+1] == ' ')
}

func isPlainKeyStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '$'
}

func plainKeyByte(c byte) bool {
	return isPlainKeyStart(c) || c == '-' || c == '@' || c == '~' || c == '+' || c == '='
}

func trimSpaces(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// afterValue reports whether what follows a value on its line is nothing
// but spaces and a comment.
func afterValue(c []byte) bool {
	if len(c) == 0 {
		return true
	}
	if c[0] != ' ' {
		return false
	}
	c = trimSpaces(c)
	return len(c) == 0 || c[0] == '#'
}

// inline reads a value that starts on its key's or dash's line; n is the
// column of the enclosing collection (block scalars must be deeper).
func (p *fastParser) inline(c []byte, n int) bool {
	switch c[0] {
	case '|', '>':
		return p.blockScalar(c, n)
	case '"', '\'':
		s, end, ok := p.quoted(c, true)
		if !ok || !afterValue(c[end:]) {
			return false
		}
		p.out = appendJSONString(p.out, s)
		return true
	case '[':
		return p.flowSequence(c)
	case '{':
		return p.flowMapping(c)
	case '&', '*', '!', '%', '@', '`', ',', ']', '}', '?', ':', '#':
		return false
	case '-':
		if len(c) == 1 || c[1] == ' ' {
			return false
		}
	}
	// A plain scalar: up to a comment, and alone on its line (a deeper
	// line after it would continue it; the callers refuse those).
	end := len(c)
	for i := 1; i < len(c); i++ {
		if c[i] == '#' && c[i-1] == ' ' {
			end = i
			break
		}
		if c[i] == ':' && (i+1 == len(c) || c[i+1] == ' ') {
			return false
		}
	}
	if c[len(c)-1] == ':' {
		return false
	}
	return p.plain(trimSpaces(c[:end]))
}

// plain appends a plain scalar as yaml.v2 resolves it.
func (p *fastParser) plain(s []byte) bool {
	switch resolvePlain(s) {
	case scalarString:
		p.out = appendJSONString(p.out, s)
	case scalarNull:
		p.out = append(p.out, "null"...)
	case scalarTrue:
		p.out = append(p.out, "true"...)
	case scalarFalse:
		p.out = append(p.out, "false"...)
	case scalarInt:
		p.out = append(p.out, s...)
	case scalarFloat:
		f, err := strconv.ParseFloat(string(s), 64)
		if err != nil {
			return false
		}
		// encoding/json writes this range with 'f'; outside it, give up.
		if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
			return false
		}
		p.out = strconv.AppendFloat(p.out, f, 'f', -1, 64)
	default:
		return false
	}
	return true
}

// quoted reads the one-line quoted scalar c starts with and returns its
// value: a slice of c when nothing needs decoding, else a new slice, or
// with scratch p.buf, valid until the next call; end is the offset after
// the closing quote.
func (p *fastParser) quoted(c []byte, scratch bool) (s []byte, end int, ok bool) {
	q := c[0]
	i := 1
	// Fast path: no escape before the closing quote.
	for i < len(c) && c[i] != q && c[i] != '\\' {
		i++
	}
	if i < len(c) && c[i] == q && (q == '"' || i+1 == len(c) || c[i+1] != '\'') {
		return c[1:i], i + 1, true
	}
	if scratch {
		s = p.buf[:0]
	}
	s = append(s, c[1:i]...)
	defer func() {
		if scratch && ok {
			p.buf = s[:0]
		}
	}()
	for i < len(c) {
		ch := c[i]
		switch {
		case ch == q && q == '\'':
			if i+1 < len(c) && c[i+1] == '\'' {
				s = append(s, '\'')
				i += 2
				continue
			}
			return s, i + 1, true
		case ch == q:
			return s, i + 1, true
		case ch == '\\' && q == '"':
			if i+1 >= len(c) {
				return nil, 0, false // an escaped line break
			}
			var n int
			s, n, ok = unescape(s, c[i+1:])
			if !ok {
				return nil, 0, false
			}
			i += 1 + n
		default:
			s = append(s, ch)
			i++
		}
	}
	return nil, 0, false // continues on the next line
}

// unescape decodes the double-quoted escape e starts with (after the
// backslash), as libyaml does; n is its length.
func unescape(s, e []byte) (out []byte, n int, ok bool) {
	if r := simpleEscapes[e[0]]; r != "" {
		return append(s, r...), 1, true
	}
	var l int
	switch e[0] {
	case 'x':
		l = 2
	case 'u':
		l = 4
	case 'U':
		l = 8
	default:
		return nil, 0, false
	}
	if len(e) < 1+l {
		return nil, 0, false
	}
	v, err := strconv.ParseUint(string(e[1:1+l]), 16, 32)
	if err != nil || strings.ContainsAny(string(e[1:1+l]), "+-_") || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff {
		return nil, 0, false
	}
	return utf8.AppendRune(s, rune(v)), 1 + l, true
}

// simpleEscapes are libyaml's one-character escapes.
var simpleEscapes = [256]string{
	'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", 'n': "\n", 'v': "\v", 'f': "\f",
	'r': "\r", 'e': "\x1b", ' ': " ", '"': "\"", '\'': "'", '\\': "\\",
	'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029",
}
