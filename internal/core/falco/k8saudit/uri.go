package k8saudit

import (
	"bytes"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// uriParam compiles ka.uri.param[name]: the first value of the query
// parameter name in the request URI (?command=sh&command=-c gives "sh").
func uriParam(name string) (getFn, error) {
	return func(e *Event, dst []falco.Value) []falco.Value {
		v := e.top[topRequestURI]
		if v == nil {
			return dst
		}
		value, ok := e.queryParam(e.text(v), name)
		if !ok {
			return dst
		}
		return append(dst, falco.Value{B: value})
	}, nil
}

// queryParam returns the first value of the query parameter name in uri as
// the plugin finds it, with net/url's url.Parse then url.ParseQuery: there
// is no value when either fails, so when the URI has a control character,
// starts with ':', has a malformed %-escape, or has a ';' in its query.
// Unlike net/url it does not allocate unless a key or the value is escaped.
func (e *Event) queryParam(uri []byte, name string) ([]byte, bool) {
	for _, c := range uri {
		if c < 0x20 || c == 0x7f {
			return nil, false
		}
	}
	if len(uri) > 0 && uri[0] == ':' {
		return nil, false
	}
	rest, fragment, _ := bytes.Cut(uri, []byte{'#'})
	path, query, _ := bytes.Cut(rest, []byte{'?'})
	if !validEscapes(fragment) || !validEscapes(path) {
		return nil, false
	}
	var value []byte
	found := false
	for len(query) > 0 {
		var pair []byte
		pair, query, _ = bytes.Cut(query, []byte{'&'})
		if bytes.IndexByte(pair, ';') >= 0 {
			return nil, false
		}
		if len(pair) == 0 {
			continue
		}
		k, v, _ := bytes.Cut(pair, []byte{'='})
		if !validEscapes(k) || !validEscapes(v) {
			return nil, false
		}
		// Keep going once found: a later malformed pair fails the parse.
		if !found && e.keyIs(k, name) {
			value, found = e.unescape(v), true
		}
	}
	return value, found
}

// keyIs says whether the query key k, unescaped, is name.
func (e *Event) keyIs(k []byte, name string) bool {
	if !escaped(k) {
		return string(k) == name
	}
	start := len(e.buf)
	same := string(e.unescape(k)) == name
	e.buf = e.buf[:start]
	return same
}

// unescape decodes a query component ('+' is a space, %XX a byte) already
// checked by validEscapes; it aliases b when nothing is escaped.
func (e *Event) unescape(b []byte) []byte {
	if !escaped(b) {
		return b[:len(b):len(b)]
	}
	start := len(e.buf)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '+':
			e.buf = append(e.buf, ' ')
		case '%':
			e.buf = append(e.buf, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
		default:
			e.buf = append(e.buf, c)
		}
	}
	return e.rendered(start)
}

func escaped(b []byte) bool {
	return bytes.IndexByte(b, '%') >= 0 || bytes.IndexByte(b, '+') >= 0
}

// validEscapes says whether every '%' in b starts a %XX escape.
func validEscapes(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '%' {
			continue
		}
		if i+2 >= len(b) || !ishex(b[i+1]) || !ishex(b[i+2]) {
			return false
		}
		i += 2
	}
	return true
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
