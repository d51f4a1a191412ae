package eventqueue

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// rejectedFile holds what the queue set aside: batches the receiver
// refused, as JSON lines, and records it could not read or deliver, as they
// were on disk.
const rejectedFile = "rejected.jsonl"

// reject keeps a refused batch in rejected.jsonl so nothing is lost
// silently.
func (q *Queue) reject(batch []event.Event, why error) {
	q.rejected.Add(int64(len(batch)))
	ids := make([]string, 0, min(len(batch), 5))
	for i := 0; i < len(batch) && i < 5; i++ {
		ids = append(ids, batch[i].ID)
	}
	path := filepath.Join(q.dir, rejectedFile)
	q.log.Error("events refused by the console; kept in "+path, "events", len(batch), "first_ids", ids, "error", why)
	q.keep(func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for i := range batch {
			if err := enc.Encode(&batch[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// keep appends what write writes to rejected.jsonl.
func (q *Queue) keep(write func(io.Writer) error) {
	f, err := os.OpenFile(filepath.Join(q.dir, rejectedFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		q.log.Error("event queue: could not keep set-aside events", "error", err)
		return
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		q.log.Error("event queue: could not keep set-aside events", "error", err)
	}
}

// keepRaw appends a record as it was on disk, n bytes of src, to
// rejected.jsonl, ending it with a newline when it has none.
func (q *Queue) keepRaw(src io.Reader, n int64) {
	q.keep(func(w io.Writer) error {
		var last [1]byte
		tail := &lastByte{w: w, b: last[:]}
		if _, err := io.CopyN(tail, src, n); err != nil {
			return err
		}
		if last[0] != '\n' {
			_, err := w.Write([]byte{'\n'})
			return err
		}
		return nil
	})
}

// lastByte writes through to w and remembers the last byte written in b.
type lastByte struct {
	w io.Writer
	b []byte
}

func (l *lastByte) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.b[0] = p[n-1]
	}
	return n, err
}
