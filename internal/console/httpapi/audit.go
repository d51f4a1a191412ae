package httpapi

import (
	"net/http"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// auditJSON is an audit entry as the API shows it.
type auditJSON struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Remote string    `json:"remote"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// auditRoutes serves the audit log to admins only: it tells who logged in
// from which address and when, which a read-only token has no need of
// (viewers read the event trail).
func (a *API) auditRoutes() {
	a.handle("GET /api/v1/audit", RoleAdmin, func(w http.ResponseWriter, r *http.Request, _ principal) {
		q := r.URL.Query()
		f := store.AuditFilter{Action: q.Get("action"), Target: q.Get("target"), Cursor: q.Get("cursor")}
		var ok bool
		if f.Limit, ok = queryLimit(w, q); !ok {
			return
		}
		page, err := a.opts.Service.Store().ListAudit(r.Context(), f)
		if err != nil {
			a.listError(w, err)
			return
		}
		items := make([]auditJSON, 0, len(page.Entries))
		for _, e := range page.Entries {
			items = append(items, auditJSON{ID: e.ID, Time: e.Time.UTC(), Actor: e.Actor, Remote: e.Remote,
				Action: e.Action, Target: e.Target, Detail: e.Detail})
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": page.Next})
	})
}
