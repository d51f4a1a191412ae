package cursor

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/palisade-dev/palisade/internal/console/store"
)

const (
	version = 1
	size    = 1 + 8 + 8
)

// Encode returns the cursor after the event at micros (Unix microseconds)
// with arrival sequence seq.
func Encode(micros, seq int64) string {
	var b [size]byte
	b[0] = version
	binary.BigEndian.PutUint64(b[1:9], uint64(micros))
	binary.BigEndian.PutUint64(b[9:], uint64(seq))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Decode reverses Encode; a cursor it did not make is store.ErrInvalid.
func Decode(s string) (micros, seq int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != size || b[0] != version {
		return 0, 0, fmt.Errorf("cursor %q: %w", s, store.ErrInvalid)
	}
	return int64(binary.BigEndian.Uint64(b[1:9])), int64(binary.BigEndian.Uint64(b[9:])), nil
}

// Rows is what ReadPage reads: database/sql's rows and pgx's both.
type Rows interface {
	Next() bool
	Err() error
}

// ReadPage reads a page of at most limit items from rows, the answer to
// a query for limit+1 rows newest first by (time, seq). scan reads the
// current row and returns its item, its time in Unix microseconds and
// its seq. A row past limit means there is a next page: its cursor, after
// the last item, is returned too. The caller closes rows.
func ReadPage[T any](rows Rows, limit int, scan func() (T, int64, int64, error)) ([]T, string, error) {
	items := make([]T, 0, min(limit, 64))
	var lastUS, lastSeq int64
	for rows.Next() {
		if len(items) == limit {
			return items, Encode(lastUS, lastSeq), nil
		}
		item, us, seq, err := scan()
		if err != nil {
			return nil, "", err
		}
		items = append(items, item)
		lastUS, lastSeq = us, seq
	}
	return items, "", rows.Err()
}
