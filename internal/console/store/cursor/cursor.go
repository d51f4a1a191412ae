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
