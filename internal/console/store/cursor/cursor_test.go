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

// fakeRows serves n rows, numbered from n down to 1.
type fakeRows struct{ n, at int }

func (r *fakeRows) Next() bool { r.at++; return r.at <= r.n }
func (r *fakeRows) Err() error { return nil }

func TestReadPage(t *testing.T) {
	for _, c := range []struct {
		rows, limit int
		want        int
		next        bool
	}{{0, 3, 0, false}, {2, 3, 2, false}, {3, 3, 3, false}, {4, 3, 3, true}} {
		rows := &fakeRows{n: c.rows}
		items, next, err := ReadPage(rows, c.limit, func() (int, int64, int64, error) {
			seq := int64(c.rows - rows.at + 1)
			return int(seq), seq * 10, seq, nil
		})
		if err != nil || len(items) != c.want || (next != "") != c.next {
			t.Errorf("%d rows, limit %d: %v, next %q, %v; want %d items, a next cursor %v", c.rows, c.limit, items, next, err, c.want, c.next)
			continue
		}
		if c.next {
			us, seq, err := Decode(next)
			last := int64(items[len(items)-1])
			if err != nil || us != last*10 || seq != last {
				t.Errorf("next cursor (%d, %d), %v; want after the last item (%d, %d)", us, seq, err, last*10, last)
			}
		}
	}
}
