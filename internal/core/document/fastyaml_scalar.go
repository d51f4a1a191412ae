package document

import (
	"strconv"
)

// scalarKind is what yaml.v2 resolves a plain scalar to, as far as the
// fast path cares.
type scalarKind int

const (
	scalarOther  scalarKind = iota // anything the fast path does not write
	scalarString                   // the text itself
	scalarNull
	scalarTrue
	scalarFalse
	scalarInt   // a decimal integer written as JSON writes it
	scalarFloat // a float in decimal notation
)

// yaml11Words are the plain scalars yaml.v2 looks up by name.
var yaml11Words = map[string]scalarKind{
	"y": scalarTrue, "Y": scalarTrue, "yes": scalarTrue, "Yes": scalarTrue, "YES": scalarTrue,
	"true": scalarTrue, "True": scalarTrue, "TRUE": scalarTrue,
	"on": scalarTrue, "On": scalarTrue, "ON": scalarTrue,
	"n": scalarFalse, "N": scalarFalse, "no": scalarFalse, "No": scalarFalse, "NO": scalarFalse,
	"false": scalarFalse, "False": scalarFalse, "FALSE": scalarFalse,
	"off": scalarFalse, "Off": scalarFalse, "OFF": scalarFalse,
	"~": scalarNull, "null": scalarNull, "Null": scalarNull, "NULL": scalarNull,
	// NaN and infinities (JSON has none: the library fails) and merge keys.
	".nan": scalarOther, ".NaN": scalarOther, ".NAN": scalarOther,
	".inf": scalarOther, ".Inf": scalarOther, ".INF": scalarOther,
	"+.inf": scalarOther, "+.Inf": scalarOther, "+.INF": scalarOther,
	"-.inf": scalarOther, "-.Inf": scalarOther, "-.INF": scalarOther,
	"<<": scalarOther,
}

// resolvePlain mirrors yaml.v2's resolve for an untagged plain scalar,
// giving up (scalarOther) on numbers that are not written the way JSON
// writes them (hexadecimal, octal, binary, signs, "_" separators).
func resolvePlain(s []byte) scalarKind {
	if len(s) == 0 {
		return scalarNull
	}
	c := s[0]
	switch {
	case c == '+' || c == '-' || c == '.' || c == '~' || c >= '0' && c <= '9':
	case c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 't' || c == 'T' ||
		c == 'f' || c == 'F' || c == 'o' || c == 'O':
	default:
		return scalarString
	}
	if k, ok := yaml11Words[string(s)]; ok {
		return k
	}
	switch {
	case c == '.':
		if _, err := strconv.ParseFloat(string(s), 64); err == nil {
			return scalarFloat
		}
		return scalarString
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		return resolveNumeric(s)
	}
	return scalarString
}

// resolveNumeric resolves a plain scalar starting with a digit or sign:
// yaml.v2 tries a timestamp (which it returns as the string), an integer
// (any base, "_" removed), an unsigned one, a float, then binary.
func resolveNumeric(s []byte) scalarKind {
	if isDecimalInt(s) && len(s) <= 18 {
		return scalarInt
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' ||
			c == '+' || c == '-' || c == '.' || c == '_' || c == 'x' || c == 'X' || c == 'o' || c == 'O') {
			return scalarString // no number parses with this byte in it
		}
	}
	plain := make([]byte, 0, len(s))
	underscore := false
	for _, c := range s {
		if c == '_' {
			underscore = true
			continue
		}
		plain = append(plain, c)
	}
	ps := string(plain)
	_, errInt := strconv.ParseInt(ps, 0, 64)
	_, errUint := strconv.ParseUint(ps, 0, 64)
	if errInt == nil || errUint == nil {
		if !underscore && isDecimalInt(s) {
			return scalarInt
		}
		return scalarOther
	}
	if isYAMLStyleFloat(plain) {
		if _, err := strconv.ParseFloat(ps, 64); err == nil {
			if underscore {
				return scalarOther
			}
			return scalarFloat
		}
	}
	if len(ps) >= 2 && (ps[:2] == "0b" || len(ps) >= 3 && ps[:3] == "-0b") {
		return scalarOther
	}
	return scalarString
}

// isDecimalInt reports whether s is an integer as JSON writes it:
// -?(0|[1-9][0-9]*), not "-0".
func isDecimalInt(s []byte) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
		if len(s) == 1 && s[0] == '0' {
			return false
		}
	}
	if len(s) == 0 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isYAMLStyleFloat matches yaml.v2's
// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$.
func isYAMLStyleFloat(s []byte) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// appendJSONString appends s (valid UTF-8) as a JSON string.
func appendJSONString(out, s []byte) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		out = append(out, s[start:i]...)
		switch c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		case '\t':
			out = append(out, '\\', 't')
		default:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

// blockScalar reads a literal (|) or folded (>) block scalar whose header
// is h, with libyaml's line folding and chomping; n is the column of the
// enclosing collection, which its lines must be deeper than.
func (p *fastParser) blockScalar(h []byte, n int) bool {
	folded := h[0] == '>'
	chomp := byte(0)
	rest := h[1:]
	if len(rest) > 0 && (rest[0] == '-' || rest[0] == '+') {
		chomp, rest = rest[0], rest[1:]
	}
	if !afterValue(rest) {
		return false // an indentation indicator, or junk
	}
	// The indentation is the first non-blank line's; blank lines before
	// it must not be longer (libyaml would take theirs).
	first := -1
	maxBlank := 0
	for i := p.pos; i < len(p.lines); i++ {
		l := p.lines[i]
		if l.cs < l.end {
			first = i
			break
		}
		maxBlank = max(maxBlank, l.end-l.start)
	}
	if first < 0 || p.lines[first].indent <= n {
		if chomp == '+' || maxBlank > n {
			return false
		}
		p.out = append(p.out, `""`...)
		return true
	}
	m := p.lines[first].indent
	if maxBlank > m {
		return false
	}
	text := p.buf[:0]
	trailing := first - p.pos // blank lines are line breaks
	leadingBreak, leadingBlank := false, false
	i := first
	for ; i < len(p.lines); i++ {
		l := p.lines[i]
		if l.cs == l.end { // blank
			if l.end-l.start > m {
				return false // spaces that would be content
			}
			if l.nl {
				trailing++
			}
			continue
		}
		if l.indent < m {
			break
		}
		line := p.src[l.start+m : l.end]
		trailingBlank := line[0] == ' '
		if folded && leadingBreak && !leadingBlank && !trailingBlank {
			if trailing == 0 {
				text = append(text, ' ')
			}
		} else if leadingBreak {
			text = append(text, '\n')
		}
		for ; trailing > 0; trailing-- {
			text = append(text, '\n')
		}
		leadingBlank = trailingBlank
		text = append(text, line...)
		leadingBreak = l.nl
	}
	p.pos = i
	if chomp != '-' && leadingBreak {
		text = append(text, '\n')
	}
	if chomp == '+' {
		for ; trailing > 0; trailing-- {
			text = append(text, '\n')
		}
	}
	p.out = appendJSONString(p.out, text)
	p.buf = text[:0]
	return true
}
