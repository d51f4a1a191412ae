package document

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"sigs.k8s.io/yaml"
)

// MaxDocumentSize bounds one document; a larger one is an error, not an
// out-of-memory.
const MaxDocumentSize = 16 << 20

// Doc is one document of a stream.
type Doc struct {
	// Source names where it came from (a file path, or "-" for stdin).
	Source string
	// Line is the 1-based line the document starts on.
	Line int
	// Data is the document's text (YAML or JSON).
	Data []byte

	lines *lineIndex
}

// Error is a problem located in a source.
type Error struct {
	Source string
	Line   int
	Err    error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Source, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Source, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Reader splits a stream into documents: YAML separated by "---" lines, or
// a sequence of JSON values.
type Reader struct {
	source string
	br     *bufio.Reader
	line   int // lines consumed so far
	json   *json.Decoder
	jsonAt int
	done   bool
}

// NewReader reads documents from r; source names r in errors.
func NewReader(r io.Reader, source string) *Reader {
	return &Reader{source: source, br: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next non-empty document, or io.EOF.
func (r *Reader) Next() (Doc, error) {
	if r.json != nil {
		return r.nextJSON()
	}
	if r.done {
		return Doc{}, io.EOF
	}
	if r.line == 0 {
		if b, _ := r.peekNonSpace(); b == '{' || b == '[' {
			r.json = json.NewDecoder(r.br)
			return r.nextJSON()
		}
	}
	var buf bytes.Buffer
	start := r.line + 1
	for {
		l, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A very long line: keep reading it whole.
			rest, err2 := r.br.ReadBytes('\n')
			l = append(append([]byte{}, l...), rest...)
			err = err2
		}
		if len(l) > 0 {
			r.line++
			if isSeparator(l) {
				if hasContent(buf.Bytes()) {
					return Doc{Source: r.source, Line: start, Data: buf.Bytes()}, nil
				}
				buf.Reset()
				start = r.line + 1
				continue
			}
			if buf.Len()+len(l) > MaxDocumentSize {
				r.done = true
				return Doc{}, &Error{Source: r.source, Line: start, Err: fmt.Errorf("document larger than %d bytes", MaxDocumentSize)}
			}
			buf.Write(l)
		}
		if err != nil {
			r.done = true
			if err != io.EOF {
				return Doc{}, &Error{Source: r.source, Line: r.line, Err: err}
			}
			if hasContent(buf.Bytes()) {
				return Doc{Source: r.source, Line: start, Data: buf.Bytes()}, nil
			}
			return Doc{}, io.EOF
		}
	}
}

func (r *Reader) peekNonSpace() (byte, error) {
	for n := 1; n <= 4096; n++ {
		b, err := r.br.Peek(n)
		if len(b) < n {
			return 0, err
		}
		switch c := b[n-1]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c, nil
		}
	}
	return 0, nil
}

func (r *Reader) nextJSON() (Doc, error) {
	var raw json.RawMessage
	if err := r.json.Decode(&raw); err != nil {
		if err == io.EOF {
			return Doc{}, io.EOF
		}
		r.json = json.NewDecoder(bytes.NewReader(nil)) // stop after the first error
		return Doc{}, &Error{Source: r.source, Err: fmt.Errorf("invalid JSON (document %d): %w", r.jsonAt+1, err)}
	}
	// The first value of a JSON file starts the file; later values'
	// lines are not tracked (0: unknown).
	line := 0
	if r.jsonAt == 0 {
		line = 1
	}
	r.jsonAt++
	return Doc{Source: r.source, Line: line, Data: raw}, nil
}

func isSeparator(l []byte) bool {
	l = bytes.TrimRight(l, "\r\n")
	if !bytes.HasPrefix(l, []byte("---")) {
		return false
	}
	rest := l[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}

// hasContent reports whether a YAML text holds more than blank lines and
// comments.
func hasContent(b []byte) bool {
	for len(b) > 0 {
		var l []byte
		l, b, _ = bytes.Cut(b, []byte("\n"))
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' && !bytes.Equal(l, []byte("...")) {
			return true
		}
	}
	return false
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// JSON returns the document as JSON, converted exactly as kubectl converts
// YAML. Errors carry the absolute line.
func (d *Doc) JSON() ([]byte, error) {
	t := bytes.TrimLeft(d.Data, " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
		return t, nil
	}
	j, err := yaml.YAMLToJSON(d.Data)
	if err != nil {
		return nil, d.errorf(err)
	}
	return j, nil
}

// errorf locates a YAML error: "yaml: line 3: ..." in the document becomes
// an Error on the absolute line.
func (d *Doc) errorf(err error) error {
	msg := err.Error()
	line := d.Line
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		n, _ := strconv.Atoi(msg[m[2]:m[3]])
		if d.Line > 0 {
			line = d.Line + n - 1
		}
		msg = msg[:m[0]] + msg[m[1]:]
	}
	msg = cleanYAMLMessage(msg)
	return &Error{Source: d.Source, Line: line, Err: errors.New(msg)}
}

var yamlNoise = regexp.MustCompile(`^(error converting YAML to JSON: )?(yaml: )?(: )?`)

func cleanYAMLMessage(s string) string { return yamlNoise.ReplaceAllString(s, "") }
