package postgres

import (
	"strconv"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store/cursor"
)

// pageQuery gathers the conditions of a list (events, audit entries) and
// builds its query for one page, newest first by (ts, seq).
type pageQuery struct {
	where []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (p *pageQuery) arg(v any) string {
	p.args = append(p.args, v)
	return "$" + strconv.Itoa(len(p.args))
}

// equal adds col = val when val is set.
func (p *pageQuery) equal(col, val string) {
	if val != "" {
		p.where = append(p.where, col+" = "+p.arg(val))
	}
}

// since adds ts >= t when t is set.
func (p *pageQuery) since(t time.Time) {
	if !t.IsZero() {
		p.where = append(p.where, "ts >= "+p.arg(t))
	}
}

// after keeps the rows after a page cursor ("" for none).
func (p *pageQuery) after(cur string) error {
	if cur == "" {
		return nil
	}
	us, seq, err := cursor.Decode(cur)
	if err != nil {
		return err
	}
	p.where = append(p.where, "(ts, seq) < ("+p.arg(time.UnixMicro(us))+"::timestamptz, "+p.arg(seq)+"::bigint)")
	return nil
}

// sql is sel with the conditions, newest first, at most limit rows.
func (p *pageQuery) sql(sel string, limit int) string {
	q := sel
	if len(p.where) > 0 {
		q += " WHERE " + strings.Join(p.where, " AND ")
	}
	return q + " ORDER BY ts DESC, seq DESC LIMIT " + p.arg(limit)
}
