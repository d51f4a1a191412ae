package sqlite

import (
	"strings"

	"github.com/palisade-dev/palisade/internal/console/store/cursor"
)

// pageQuery gathers the conditions of a list (events, audit entries) and
// builds its query for one page, newest first by (ts, seq).
type pageQuery struct {
	where []string
	args  []any
}

// equal adds col = val when val is set, and reports whether it did.
func (p *pageQuery) equal(col, val string) bool {
	if val == "" {
		return false
	}
	p.cond(col+" = ?", val)
	return true
}

// cond adds a condition and its arguments.
func (p *pageQuery) cond(c string, args ...any) {
	p.where = append(p.where, c)
	p.args = append(p.args, args...)
}

// after keeps the rows after a page cursor ("" for none). ts <= ? bounds
// the index range; the rest breaks ties by arrival.
func (p *pageQuery) after(cur string) error {
	if cur == "" {
		return nil
	}
	us, seq, err := cursor.Decode(cur)
	if err != nil {
		return err
	}
	p.cond("ts <= ? AND (ts < ? OR seq < ?)", us, us, seq)
	return nil
}

// sql is sel with the conditions, newest first, at most limit rows.
func (p *pageQuery) sql(sel string, limit int) (string, []any) {
	q := sel
	if len(p.where) > 0 {
		q += " WHERE " + strings.Join(p.where, " AND ")
	}
	return q + " ORDER BY ts DESC, seq DESC LIMIT ?", append(p.args, limit)
}
