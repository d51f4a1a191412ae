package k8saudit

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/valyala/fastjson"
)

// ErrNotAuditEvent says a JSON value is not a kube-apiserver audit event (or
// a list of them); the error wrapping it says what is wrong and where.
var ErrNotAuditEvent = errors.New("not a kube-apiserver audit event")

// errEmpty is returned for a body without any JSON.
var errEmpty = errors.New("empty body: no audit events")

// Decoder decodes request bodies and log files of audit events, reusing its
// parser and its Event from one body to the next. The zero Decoder is ready
// to use; a Decoder must not be used from two goroutines at once.
type Decoder struct {
	p  fastjson.Parser
	ev Event
}

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder { return &Decoder{} }

// Decode calls fn for each audit event in body, in order. body is one of:
//   - an audit.k8s.io/v1 EventList, as the audit webhook backend posts it
//     (its items may omit kind and apiVersion, as kube-apiserver writes them);
//   - a single Event;
//   - a JSON array of Events or EventLists;
//   - JSON lines, one Event (or EventList, or array) per line, as in a
//     kube-apiserver audit log file; blank lines are skipped.
//
// Each event must be a JSON object with kind "Event" (optional in an
// EventList's items) and a stageTimestamp in RFC 3339 form, the event's
// time: what Falco's k8saudit plugin needs (it does not need an auditID).
//
// Decode stops at the first malformed line or item, or at the first error fn
// returns, and returns it with the line number (1-based) or the item's
// position (0-based, as "[2].items[5]") and the event's auditID if it has
// one; the events before it were passed to fn. The *Event is valid only
// until fn returns. DecodeSkip goes on past what it cannot read instead.
func (d *Decoder) Decode(body []byte, fn func(*Event) error) error {
	return d.decode(body, fn, nil)
}

// DecodeSkip is Decode that skips what it cannot read, as Falco's k8saudit
// plugin does: for each malformed line, array element, list item or event
// it calls skip with an error naming it (as Decode's errors do) and goes on
// with the next. It returns an error only for an empty body or when fn
// returns one (which stops it): a body in which nothing could be read
// returns nil after skipping it, so callers that refuse such a body count
// the events fn saw.
func (d *Decoder) DecodeSkip(body []byte, fn func(*Event) error, skip func(error)) error {
	return d.decode(body, fn, skip)
}

// walk is one decoding: the callbacks, and skip nil for Decode.
type walk struct {
	d    *Decoder
	fn   func(*Event) error
	skip func(error)
}

// bad handles what cannot be read: an error to return for Decode, nothing
// (after skip) for DecodeSkip.
func (w walk) bad(err error) error {
	if w.skip == nil {
		return err
	}
	w.skip(err)
	return nil
}

func (d *Decoder) decode(body []byte, fn func(*Event) error, skip func(error)) error {
	w := walk{d: d, fn: fn, skip: skip}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	line, rest, n := nextLine(body, 0)
	if line == nil {
		return errEmpty
	}
	if isBlank(rest) {
		v, err := d.p.ParseBytes(line)
		if err != nil {
			return w.bad(err)
		}
		return w.value(v, lineLocation(0))
	}
	v, err := d.p.ParseBytes(line)
	if err != nil {
		// Not one JSON value per line: a document over several lines (a
		// pretty-printed EventList, say).
		whole, err2 := d.p.ParseBytes(body)
		if err2 == nil {
			return w.value(whole, lineLocation(0))
		}
		// JSON lines whose first line is broken, if the next one parses.
		next, _, _ := nextLine(rest, n)
		if next == nil {
			return w.bad(err2)
		}
		if _, err3 := d.p.ParseBytes(next); err3 != nil {
			return w.bad(err2)
		}
		if err := w.bad(lineLocation(n).wrap(err)); err != nil {
			return err
		}
		v = nil
	}
	for {
		if v != nil {
			if err := w.value(v, lineLocation(n)); err != nil {
				return err
			}
		}
		line, rest, n = nextLine(rest, n)
		if line == nil {
			return nil
		}
		if v, err = d.p.ParseBytes(line); err != nil {
			v = nil
			if err := w.bad(lineLocation(n).wrap(err)); err != nil {
				return err
			}
		}
	}
}

// value decodes one top-level JSON value: an Event, an EventList, or an
// array of either.
func (w walk) value(v *fastjson.Value, loc location) error {
	if v.Type() == fastjson.TypeArray && loc.index < 0 {
		for i, item := range v.GetArray() {
			if err := w.value(item, loc.at(i)); err != nil {
				return err
			}
		}
		return nil
	}
	if v.Type() != fastjson.TypeObject {
		return w.bad(loc.wrap(fmt.Errorf("%w: a JSON %s, want an object", ErrNotAuditEvent, v.Type())))
	}
	if kind := v.Get("kind"); kind != nil && string(kind.GetStringBytes()) == "EventList" {
		items := v.Get("items")
		switch {
		case items == nil || items.Type() == fastjson.TypeNull:
			return nil
		case items.Type() != fastjson.TypeArray:
			return w.bad(loc.wrap(fmt.Errorf("%w: EventList items is a JSON %s, want an array", ErrNotAuditEvent, items.Type())))
		}
		for i, item := range items.GetArray() {
			if err := w.event(item, loc.item(i), true); err != nil {
				return err
			}
		}
		return nil
	}
	return w.event(v, loc, false)
}

// event checks that v is an audit event and passes it to fn.
func (w walk) event(v *fastjson.Value, loc location, listItem bool) error {
	if v.Type() != fastjson.TypeObject {
		return w.bad(loc.wrap(fmt.Errorf("%w: a JSON %s, want an object", ErrNotAuditEvent, v.Type())))
	}
	ev := &w.d.ev
	ev.load(v)
	if err := ev.check(listItem); err != nil {
		loc.auditID = ev.AuditID() // only a refused event is named by it
		return w.bad(loc.wrap(err))
	}
	if err := w.fn(ev); err != nil {
		return loc.wrap(err) // fn's error, not the event's
	}
	return nil
}

// check validates the loaded event and reads its time.
func (e *Event) check(listItem bool) error {
	switch kind := e.top[topKind]; {
	case kind == nil && listItem:
	case kind == nil:
		return fmt.Errorf(`%w: no kind, want "Event"`, ErrNotAuditEvent)
	case kind.Type() != fastjson.TypeString || string(kind.GetStringBytes()) != "Event":
		return fmt.Errorf(`%w: kind is %s, want "Event"`, ErrNotAuditEvent, truncate(kind.MarshalTo(nil)))
	}
	ts := e.top[topStageTimestamp]
	if ts == nil || ts.Type() != fastjson.TypeString {
		return fmt.Errorf("%w: no stageTimestamp", ErrNotAuditEvent)
	}
	b, _ := ts.StringBytes()
	n, ok := parseTimestamp(b)
	if !ok {
		return fmt.Errorf("%w: stageTimestamp %s is not an RFC 3339 time", ErrNotAuditEvent, truncate(ts.MarshalTo(nil)))
	}
	e.nanos = n
	return nil
}

// truncate shortens a JSON excerpt quoted in an error.
func truncate(b []byte) string {
	const max = 64
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// location is where in a body a JSON value is: a line of JSON lines, an
// element of an array, an item of an EventList, and the auditID of the
// event there. Zero-valued parts (-1 for indexes) are absent.
type location struct {
	line    int
	index   int
	items   int
	auditID string
}

// lineLocation is line n of JSON lines, or the whole body when n is 0.
func lineLocation(n int) location { return location{line: n, index: -1, items: -1} }

func (l location) at(i int) location {
	l.index = i
	return l
}

func (l location) item(i int) location {
	l.items = i
	return l
}

func (l location) String() string {
	var b []byte
	if l.line > 0 {
		b = append(b, "line "...)
		b = strconv.AppendInt(b, int64(l.line), 10)
	}
	if l.index >= 0 || l.items >= 0 {
		if len(b) > 0 {
			b = append(b, ": "...)
		}
		if l.index >= 0 {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(l.index), 10)
			b = append(b, ']')
		}
		if l.items >= 0 {
			if l.index >= 0 {
				b = append(b, '.')
			}
			b = append(b, "items["...)
			b = strconv.AppendInt(b, int64(l.items), 10)
			b = append(b, ']')
		}
	}
	if l.auditID != "" {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, "(auditID "...)
		b = append(b, truncate([]byte(l.auditID))...)
		b = append(b, ')')
	}
	return string(b)
}

// wrap prefixes err with the location, if any.
func (l location) wrap(err error) error {
	if s := l.String(); s != "" {
		return fmt.Errorf("%s: %w", s, err)
	}
	return err
}

// nextLine returns the first non-blank line of b (without its line break),
// what follows it, and its number, counting on from line n.
func nextLine(b []byte, n int) (line, rest []byte, num int) {
	for len(b) > 0 {
		n++
		line, rest, _ = bytes.Cut(b, []byte{'\n'})
		b = rest
		if !isBlank(line) {
			return bytes.TrimSuffix(line, []byte{'\r'}), rest, n
		}
	}
	return nil, nil, n
}

// isBlank says whether b holds only JSON whitespace.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
