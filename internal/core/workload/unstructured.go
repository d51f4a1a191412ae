package workload

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
)

// Unstructured returns the object as Kubernetes' unstructured form: maps,
// slices, strings, bools, int64 for whole numbers and float64 otherwise;
// nil when the object has no raw JSON. It is decoded once, on first use,
// and shared by every reader (CEL rules); callers must not modify it.
func (o *Object) Unstructured() any {
	o.unstructuredOnce.Do(func() {
		if o.Raw == nil && o.typed != nil {
			raw, err := json.Marshal(o.typed)
			if err != nil {
				return
			}
			// The typed value has no TypeMeta of its own.
			if p, ok := o.typed.(*corev1.Pod); ok && p.Kind == "" {
				raw = append([]byte(`{"apiVersion":"v1","kind":"Pod",`), raw[1:]...)
			}
			o.Raw = raw
		}
		if v, err := ParseUnstructured(o.Raw); err == nil {
			o.unstructured = v
		}
	})
	return o.unstructured
}

// ParseUnstructured decodes JSON into unstructured values. It is a small
// single-pass parser (a few times faster than encoding/json into any, which
// matters because CEL rules need this form on every admission request);
// FuzzParseUnstructured holds it equal to encoding/json.
func ParseUnstructured(data []byte) (any, error) {
	p := parser{data: data}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.data) {
		return nil, p.errorf("unexpected data after the value")
	}
	return v, nil
}

const maxDepth = 10000

type parser struct {
	data []byte
	i    int
}

var errSyntax = errors.New("invalid JSON")

func (p *parser) errorf(msg string) error {
	return errors.New("invalid JSON at offset " + strconv.Itoa(p.i) + ": " + msg)
}

func (p *parser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested too deeply")
	}
	if p.i >= len(p.data) {
		return nil, p.errorf("unexpected end")
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, p.errorf("unexpected character")
}

func (p *parser) literal(s string) error {
	if len(p.data)-p.i < len(s) || string(p.data[p.i:p.i+len(s)]) != s {
		return p.errorf("invalid literal")
	}
	p.i += len(s)
	return nil
}

func (p *parser) object(depth int) (any, error) {
	p.i++ // {
	m := make(map[string]any, 8)
	p.space()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return m, nil
	}
	for {
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, p.errorf("expected a key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return nil, p.errorf("expected ':'")
		}
		p.i++
		p.space()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m[k] = v // the last duplicate wins, as in encoding/json
		p.space()
		if p.i >= len(p.data) {
			return nil, p.errorf("unexpected end")
		}
		switch p.data[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return m, nil
		default:
			return nil, p.errorf("expected ',' or '}'")
		}
	}
}

func (p *parser) array(depth int) (any, error) {
	p.i++ // [
	a := make([]any, 0, 4)
	p.space()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return a, nil
	}
	for {
		p.space()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		p.space()
		if p.i >= len(p.data) {
			return nil, p.errorf("unexpected end")
		}
		switch p.data[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return a, nil
		default:
			return nil, p.errorf("expected ',' or ']'")
		}
	}
}

func (p *parser) number() (any, error) {
	start := p.i
	if p.data[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	intStart := p.i
	if n := digits(); n == 0 || (n > 1 && p.data[intStart] == '0') {
		return nil, p.errorf("invalid number")
	}
	isInt := true
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		isInt = false
		if digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		isInt = false
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.errorf("invalid number")
		}
	}
	s := string(p.data[start:p.i])
	if isInt {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, p.errorf("number out of range")
	}
	return f, nil
}

// str reads a JSON string; invalid UTF-8 becomes U+FFFD as in encoding/json.
func (p *parser) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c == '"' {
			s := string(p.data[start:p.i])
			p.i++
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return p.slowStr(start)
		}
		p.i++
	}
	return "", p.errorf("unterminated string")
}

func (p *parser) slowStr(start int) (string, error) {
	buf := make([]byte, 0, p.i-start+16)
	buf = append(buf, p.data[start:p.i]...)
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("control character in string")
		case c == '\\':
			if p.i+1 >= len(p.data) {
				return "", p.errorf("unterminated string")
			}
			p.i += 2
			switch e := p.data[p.i-1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.errorf("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if p.i+1 < len(p.data) && p.data[p.i] == '\\' && p.data[p.i+1] == 'u' {
						save := p.i
						p.i += 2
						var ok2 bool
						if r2, ok2 = p.hex4(); !ok2 {
							return "", p.errorf("invalid \\u escape")
						}
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							buf = utf8.AppendRune(buf, d)
							continue
						}
						p.i = save
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", p.errorf("invalid escape")
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.data[p.i:])
			buf = utf8.AppendRune(buf, r)
			p.i += size
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.data) {
		return 0, false
	}
	var r rune
	for _, c := range p.data[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

// skip passes over one value without building it.
func (p *parser) skip() error {
	if p.i >= len(p.data) {
		return p.errorf("unexpected end")
	}
	switch p.data[p.i] {
	case '"':
		_, err := p.str()
		return err
	case '{', '[':
		depth := 0
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return nil
				}
			case '"':
				if _, err := p.str(); err != nil {
					return err
				}
				continue
			}
			p.i++
		}
		return p.errorf("unexpected end")
	default:
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return nil
			}
			p.i++
		}
		return nil
	}
}
