package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
)

// auditPageSize is how many entries a page of the audit log shows.
const auditPageSize = 50

func (u *UI) auditRoutes() {
	u.get("/audit", u.listAudit)
}

// auditData is the audit log page.
type auditData struct {
	Action, Target string
	Actions        []string
	Entries        []auditRow
	// Next is the URL of the following page, "" on the last; First is
	// set when this is not the first page.
	Next, First string
}

// auditRow is an entry with its detail cut into lines, each classed for
// the diff's colours.
type auditRow struct {
	store.AuditEntry
	Lines []diffLine
}

type diffLine struct {
	Class, Text string
}

// diffLines cuts a detail into lines, classing those of a unified diff:
// headers, hunk headers, removed and added lines.
func diffLines(detail string) []diffLine {
	var out []diffLine
	for _, l := range strings.Split(strings.TrimSuffix(detail, "\n"), "\n") {
		class := ""
		switch {
		case strings.HasPrefix(l, "--- "), strings.HasPrefix(l, "+++ "):
			class = "diff-file"
		case strings.HasPrefix(l, "@@"):
			class = "diff-hunk"
		case strings.HasPrefix(l, "-"):
			class = "diff-del"
		case strings.HasPrefix(l, "+"):
			class = "diff-add"
		}
		out = append(out, diffLine{class, l})
	}
	return out
}

// listAudit shows the audit log, newest first, to admins only: it tells
// who logged in from which address and when.
func (u *UI) listAudit(w http.ResponseWriter, r *http.Request, p *page) {
	if !p.Admin() {
		u.fail(w, r, p, http.StatusForbidden, "The audit log is for admins: log in with the admin token to read it.")
		return
	}
	q := r.URL.Query()
	d := &auditData{Action: q.Get("action"), Target: strings.TrimSpace(q.Get("target")), Actions: service.AuditActions()}
	p.Title, p.Nav, p.Data = "Audit log", "audit", d
	filter := store.AuditFilter{Action: d.Action, Target: d.Target, Limit: auditPageSize, Cursor: q.Get("cursor")}
	st := u.opts.Service.Store()
	page, err := st.ListAudit(r.Context(), filter)
	if errors.Is(err, store.ErrInvalid) {
		p.Error = "That page link is not valid any more; showing the first page."
		filter.Cursor = ""
		page, err = st.ListAudit(r.Context(), filter)
	}
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	for _, e := range page.Entries {
		row := auditRow{AuditEntry: e}
		if strings.Contains(e.Detail, "\n") {
			row.Lines = diffLines(e.Detail)
		}
		d.Entries = append(d.Entries, row)
	}
	filters := url.Values{}
	for k, v := range map[string]string{"action": d.Action, "target": d.Target} {
		if v != "" {
			filters.Set(k, v)
		}
	}
	if page.Next != "" {
		nq := url.Values{"cursor": {page.Next}}
		for k, v := range filters {
			nq[k] = v
		}
		d.Next = "/audit?" + nq.Encode()
	}
	if filter.Cursor != "" {
		d.First = "/audit?" + filters.Encode()
	}
	u.render(w, r, http.StatusOK, "audit", p)
}
