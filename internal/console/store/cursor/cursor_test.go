package cursor

import (
	"errors"
	"math"
	"testing"

	"github.com/palisade-dev/palisade/internal/console/store"
)

func TestRoundTrip(t *testing.T) {
	for _, c := range [][2]int64{{0, 0}, {1, 1}, {-62135596800000000, 7}, {math.MaxInt64, math.MaxInt64}, {1_700_000_000_000_000, 42}} {
		m, s, err := Decode(Encode(c[0], c[1]))
		if err != nil || m != c[0] || s != c[1] {
			t.Errorf("Decode(Encode(%d, %d)) = %d, %d, %v", c[0], c[1], m, s, err)
		}
	}
}

func TestDecodeInvalid(t *testing.T) {
	for _, s := range []string{"", "x", "!!!!", "AAAA", Encode(1, 2) + "A", "AgAAAAAAAAABAAAAAAAAAAI"} {
		if _, _, err := Decode(s); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Decode(%q) error = %v, want ErrInvalid", s, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode(1, 2))
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, s string) {
		m, q, err := Decode(s)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Decode(%q) error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		if m2, q2, err := Decode(Encode(m, q)); err != nil || m2 != m || q2 != q {
			t.Fatalf("re-encoding %q changed it", s)
		}
	})
}
