package eventqueue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// reader reads events from the delivery position. It is used by Run only.
type reader struct {
	q   *Queue
	f   *os.File
	seq uint64
	buf []byte
	// keptTo is the position past the last record set aside: a batch that
	// is read again (its delivery failed, or it was halved) must not copy
	// its unreadable records to rejected.jsonl again.
	keptTo position
}

// setAside copies the record of size bytes at p (read from src) to
// rejected.jsonl, logs why and counts it, unless it was set aside before.
func (r *reader) setAside(p position, size int64, src io.Reader, counter *atomic.Int64, msg string, attrs ...any) {
	if p.Seq < r.keptTo.Seq || p.Seq == r.keptTo.Seq && p.Off < r.keptTo.Off {
		return
	}
	r.keptTo = position{Seq: p.Seq, Off: p.Off + size}
	counter.Add(1)
	r.q.log.Error("event queue: "+msg+" set aside in "+rejectedFile, append([]any{"file", segName(p.Seq), "offset", p.Off, "bytes", size}, attrs...)...)
	r.q.keepRaw(src, size)
}

func (r *reader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// next reads up to n events from the delivery position and returns them
// with the position just past them. With no events, a position other than
// the current one means records were set aside or sealed segments passed
// over. A record that cannot be delivered (longer than a whole batch,
// unreadable, or the torn tail of a sealed segment) is set aside in
// rejected.jsonl, logged and counted, and never holds up those after it.
func (r *reader) next(n int) ([]event.Event, position, error) {
	q := r.q
	q.mu.Lock()
	p, wSeq := q.pos, q.wSeq
	q.mu.Unlock()
	for {
		if r.f == nil || r.seq != p.Seq {
			r.close()
			f, err := os.Open(filepath.Join(q.dir, segName(p.Seq)))
			switch {
			case errors.Is(err, os.ErrNotExist) && p.Seq < wSeq:
				p = position{Seq: p.Seq + 1}
				continue
			case errors.Is(err, os.ErrNotExist):
				return nil, p, nil
			case err != nil:
				return nil, p, fmt.Errorf("event queue: %w", err)
			}
			r.f, r.seq = f, p.Seq
		}
		m, err := r.f.ReadAt(r.buf, p.Off)
		if m == 0 && err != nil && !errors.Is(err, io.EOF) {
			return nil, p, fmt.Errorf("event queue: %w", err)
		}
		data := r.buf[:m]
		end := bytes.LastIndexByte(data, '\n')
		switch {
		case end >= 0:
			return r.decode(p, data[:end+1], n)
		case m == len(r.buf):
			// One record longer than a whole batch, in a sealed segment or
			// in the one being written alike.
			return r.setAsideLong(p, p.Seq < wSeq)
		case p.Seq >= wSeq:
			// The segment being written: the rest is still to come.
			return nil, p, nil
		case m > 0:
			// A sealed segment ending without a newline: the tail of a
			// write cut short by a crash.
			r.setAside(p, int64(m), bytes.NewReader(data), &q.corrupt, "unterminated record")
		}
		return nil, position{Seq: p.Seq + 1}, nil
	}
}

// decode reads up to n events from data, whole lines read at p, and
// returns them with the position past the last line it used. Lines that
// are not events are set aside.
func (r *reader) decode(p position, data []byte, n int) ([]event.Event, position, error) {
	var evs []event.Event
	off := p.Off
	for len(data) > 0 && len(evs) < n {
		i := bytes.IndexByte(data, '\n')
		line := data[:i]
		var ev event.Event
		if err := json.Unmarshal(line, &ev); err != nil || ev.ID == "" {
			if err == nil {
				err = errors.New("no event ID")
			}
			r.setAside(position{Seq: p.Seq, Off: off}, int64(len(line)), bytes.NewReader(line), &r.q.corrupt, "unreadable record", "error", err)
		} else {
			evs = append(evs, ev)
		}
		off += int64(i + 1)
		data = data[i+1:]
	}
	return evs, position{Seq: p.Seq, Off: off}, nil
}

// setAsideLong copies the record at p, longer than a batch, to
// rejected.jsonl and returns the position after it. In the segment being
// written (sealed false) a record without its end yet is waited for; in a
// sealed one it is a torn tail, set aside too.
func (r *reader) setAsideLong(p position, sealed bool) ([]event.Event, position, error) {
	q := r.q
	off := p.Off + int64(len(r.buf)) // the first buffer holds no newline
	for {
		m, err := r.f.ReadAt(r.buf, off)
		if i := bytes.IndexByte(r.buf[:m], '\n'); i >= 0 {
			size := off + int64(i+1) - p.Off
			r.setAside(p, size, io.NewSectionReader(r.f, p.Off, size), &q.oversized, "record larger than a batch", "batch_bytes", len(r.buf))
			return nil, position{Seq: p.Seq, Off: p.Off + size}, nil
		}
		off += int64(m)
		if m > 0 {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, p, fmt.Errorf("event queue: %w", err)
		}
		if !sealed {
			return nil, p, nil
		}
		size := off - p.Off
		r.setAside(p, size, io.NewSectionReader(r.f, p.Off, size), &q.corrupt, "unterminated record")
		return nil, position{Seq: p.Seq + 1}, nil
	}
}
