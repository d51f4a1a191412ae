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

// MaxJSONInput bounds an input read as JSON (it is read whole, so that
// every value gets its line and a malformed stream can be re-read as YAML).
const MaxJSONInput = 256 << 20

// Reader splits a stream into documents: YAML separated by "---" lines, or
// a sequence of JSON values.
type Reader struct {
	source string
	br     *bufio.Reader
	line   int // lines consumed so far
	done   bool

	// JSON mode: the whole input, the values' offsets, the next value.
	jsonData  []byte
	jsonSpans [][2]int
	jsonNext  int
	jsonLine  int // line at jsonPos
	jsonPos   int

	pending []byte // a "--- content" line that starts the next document
}

// NewReader reads documents from r; source names r in errors.
func NewReader(r io.Reader, source string) *Reader {
	return &Reader{source: source, br: bufio.NewReaderSize(r, 8<<10)}
}

// Next returns the next non-empty document, or io.EOF.
func (r *Reader) Next() (Doc, error) {
	if r.jsonSpans != nil {
		return r.nextJSON()
	}
	if r.done {
		return Doc{}, io.EOF
	}
	if r.line == 0 {
		if b, _ := r.peekNonSpace(); b == '{' || b == '[' {
			if err := r.startJSON(); err != nil {
				r.done = true
				return Doc{}, err
			}
			if r.jsonSpans != nil {
				return r.nextJSON()
			}
		}
	}
	var buf bytes.Buffer
	start := 0 // line of the document's first content line
	for {
		l, err := r.readLine()
		if len(l) > 0 {
			r.line++
			if sep, content := separator(l); sep {
				if start > 0 {
					if content {
						r.pending = append([]byte{}, l...)
					}
					return Doc{Source: r.source, Line: start, Data: buf.Bytes()}, nil
				}
				buf.Reset()
				if !content {
					continue
				}
				// "--- {kind: Pod, ...}": the line starts the document.
			}
			if start == 0 && !isContentLine(l) {
				continue // leading blank lines and comments
			}
			if start == 0 {
				start = r.line
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
			if start > 0 && hasContent(buf.Bytes()) {
				return Doc{Source: r.source, Line: start, Data: buf.Bytes()}, nil
			}
			return Doc{}, io.EOF
		}
	}
}

// readLine returns the next line (with its newline), first any line a
// separator carried over; lines longer than the document limit are cut
// there, and the size check that follows reports them.
func (r *Reader) readLine() ([]byte, error) {
	if r.pending != nil {
		l := r.pending
		r.pending = nil
		r.line-- // counted when it was first read
		return l, nil
	}
	l, err := r.br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return l, err
	}
	long := append([]byte{}, l...)
	for err == bufio.ErrBufferFull && len(long) <= MaxDocumentSize {
		l, err = r.br.ReadSlice('\n')
		long = append(long, l...)
	}
	if err == bufio.ErrBufferFull {
		err = nil
	}
	return long, err
}

func (r *Reader) peekNonSpace() (byte, error) {
	b, err := r.br.Peek(4096)
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return c, nil
		}
	}
	return 0, err
}

// startJSON reads the whole input and, if it is a valid stream of JSON
// values, switches to JSON mode. Otherwise (flow-style YAML such as
// "{apiVersion: v1, ...}", or JSON followed by "---" and YAML) the same
// bytes are read as YAML, whose errors carry lines.
func (r *Reader) startJSON() error {
	data, err := io.ReadAll(io.LimitReader(r.br, MaxJSONInput+1))
	if err != nil {
		return &Error{Source: r.source, Err: err}
	}
	if len(data) > MaxJSONInput {
		return &Error{Source: r.source, Err: fmt.Errorf("input larger than %d bytes", MaxJSONInput)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var spans [][2]int
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			break
		} else if err != nil {
			r.br = bufio.NewReaderSize(bytes.NewReader(data), 64<<10)
			return nil
		}
		end := int(dec.InputOffset())
		spans = append(spans, [2]int{end - len(raw), end})
	}
	r.jsonData, r.jsonSpans, r.jsonLine = data, spans, 1
	return nil
}

func (r *Reader) nextJSON() (Doc, error) {
	if r.jsonNext >= len(r.jsonSpans) {
		return Doc{}, io.EOF
	}
	sp := r.jsonSpans[r.jsonNext]
	r.jsonNext++
	r.jsonLine += bytes.Count(r.jsonData[r.jsonPos:sp[0]], []byte("\n"))
	r.jsonPos = sp[0]
	return Doc{Source: r.source, Line: r.jsonLine, Data: r.jsonData[sp[0]:sp[1]]}, nil
}

// separator reports whether l is a "---" document marker and whether
// content follows it on the same line (a trailing comment does not count).
func separator(l []byte) (sep, content bool) {
	l = bytes.TrimRight(l, "\r\n")
	if !bytes.HasPrefix(l, []byte("---")) {
		return false, false
	}
	rest := l[3:]
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
		return false, false
	}
	rest = bytes.TrimSpace(rest)
	return true, len(rest) > 0 && rest[0] != '#'
}

func isContentLine(l []byte) bool {
	l = bytes.TrimSpace(l)
	return len(l) > 0 && l[0] != '#' && !bytes.Equal(l, []byte("..."))
}

// hasContent reports whether a YAML text holds more than blank lines and
// comments.
func hasContent(b []byte) bool {
	for len(b) > 0 {
		var l []byte
		l, b, _ = bytes.Cut(b, []byte("\n"))
		if isContentLine(l) {
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
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		// A flow-style document: YAML parsers silently ignore anything
		// after the first flow collection, so refuse trailing content.
		if end := flowEnd(d.Data); end >= 0 && hasContent(d.Data[end:]) {
			line := d.Line + bytes.Count(d.Data[:end], []byte("\n"))
			return nil, &Error{Source: d.Source, Line: line, Err: errors.New("unexpected content after the end of the document's top-level { } or [ ] (a missing \"---\"?)")}
		}
	}
	if j, ok := fastYAMLToJSON(d.Data); ok {
		return j, nil
	}
	j, err := yaml.YAMLToJSON(d.Data)
	if err != nil {
		return nil, d.errorf(err)
	}
	return j, nil
}

// JSONStrict is JSON for documents Palisade owns (policies): a key given
// twice is an error rather than "the last one wins".
func (d *Doc) JSONStrict() ([]byte, error) {
	j, err := d.JSON()
	if err != nil {
		return nil, err
	}
	t := bytes.TrimLeft(d.Data, " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
		return j, nil // JSON: the strict decoder reports duplicates
	}
	if _, err := yaml.YAMLToJSONStrict(d.Data); err != nil {
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

// flowEnd returns the offset just after the top-level flow collection that
// data starts with (after white space), or -1 when it is not closed. It
// knows YAML's quoting and comments, enough to find the matching bracket.
func flowEnd(data []byte) int {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '\'':
			for i++; i < len(data); i++ {
				if data[i] == '\'' {
					if i+1 < len(data) && data[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '#':
			if i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n' {
				for i < len(data) && data[i] != '\n' {
					i++
				}
			}
		}
	}
	return -1
}
