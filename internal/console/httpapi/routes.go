package httpapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/platform/edge"
)

//go:embed openapi.yaml
var openAPI []byte

func (a *API) routes() {
	s := a.opts.Service
	a.mux.HandleFunc("GET /api/v1/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openAPI)
	})
	docs := []struct {
		path, kind string
		create     func(r *http.Request, body []byte) (store.Document, error)
		update     func(r *http.Request, name string, body []byte, v int64) (store.Document, error)
		get        func(r *http.Request, name string) (store.Document, error)
		list       func(r *http.Request) ([]store.Document, error)
		del        func(r *http.Request, name string) error
	}{
		{"policies", "Policy",
			func(r *http.Request, b []byte) (store.Document, error) { return s.CreatePolicy(r.Context(), b) },
			func(r *http.Request, n string, b []byte, v int64) (store.Document, error) {
				return s.UpdatePolicy(r.Context(), n, b, v)
			},
			func(r *http.Request, n string) (store.Document, error) { return s.Store().GetPolicy(r.Context(), n) },
			func(r *http.Request) ([]store.Document, error) { return s.Store().ListPolicies(r.Context()) },
			func(r *http.Request, n string) error { return s.DeletePolicy(r.Context(), n) }},
		{"rulesets", "RuntimeRuleset",
			func(r *http.Request, b []byte) (store.Document, error) { return s.CreateRuleset(r.Context(), b) },
			func(r *http.Request, n string, b []byte, v int64) (store.Document, error) {
				return s.UpdateRuleset(r.Context(), n, b, v)
			},
			func(r *http.Request, n string) (store.Document, error) { return s.Store().GetRuleset(r.Context(), n) },
			func(r *http.Request) ([]store.Document, error) { return s.Store().ListRulesets(r.Context()) },
			func(r *http.Request, n string) error { return s.DeleteRuleset(r.Context(), n) }},
	}
	for _, d := range docs {
		base := "/api/v1/" + d.path
		a.handle("GET "+base, RoleViewer, func(w http.ResponseWriter, r *http.Request, _ principal) {
			list, err := d.list(r)
			if err != nil {
				a.storeError(w, err)
				return
			}
			items := make([]json.RawMessage, 0, len(list))
			for _, doc := range list {
				items = append(items, withVersion(doc))
			}
			writeJSON(w, http.StatusOK, map[string]any{"apiVersion": "palisade.dev/v1", "kind": d.kind + "List", "items": items})
		})
		a.handle("POST "+base, RoleAdmin, func(w http.ResponseWriter, r *http.Request, _ principal) {
			body, ok := readBody(w, r)
			if !ok {
				return
			}
			doc, err := d.create(r, body)
			if err != nil {
				a.storeError(w, err)
				return
			}
			w.Header().Set("ETag", etag(doc.Version))
			writeRaw(w, http.StatusCreated, withVersion(doc))
		})
		a.handle("GET "+base+"/{name}", RoleViewer, func(w http.ResponseWriter, r *http.Request, _ principal) {
			doc, err := d.get(r, r.PathValue("name"))
			if err != nil {
				a.storeError(w, err)
				return
			}
			w.Header().Set("ETag", etag(doc.Version))
			writeRaw(w, http.StatusOK, withVersion(doc))
		})
		a.handle("PUT "+base+"/{name}", RoleAdmin, func(w http.ResponseWriter, r *http.Request, _ principal) {
			body, ok := readBody(w, r)
			if !ok {
				return
			}
			var v int64 // If-Match makes the update conditional
			if m := strings.Trim(r.Header.Get("If-Match"), `"`); m != "" {
				if v, _ = strconv.ParseInt(m, 10, 64); v <= 0 {
					writeError(w, http.StatusBadRequest, "If-Match must be a version ETag")
					return
				}
			}
			doc, err := d.update(r, r.PathValue("name"), body, v)
			if err != nil {
				a.storeError(w, err)
				return
			}
			w.Header().Set("ETag", etag(doc.Version))
			writeRaw(w, http.StatusOK, withVersion(doc))
		})
		a.handle("DELETE "+base+"/{name}", RoleAdmin, func(w http.ResponseWriter, r *http.Request, _ principal) {
			if err := d.del(r, r.PathValue("name")); err != nil {
				a.storeError(w, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
	}
	a.clusterRoutes()
	a.eventRoutes()
	a.auditRoutes()
	a.scanResultRoutes()
	a.agentRoutes()
}

func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

func writeRaw(w http.ResponseWriter, code int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
	w.Write([]byte("\n"))
}

// withVersion returns the stored document with metadata.resourceVersion set
// to its version, as Kubernetes reports it.
func withVersion(d store.Document) json.RawMessage {
	var m map[string]any
	if err := json.Unmarshal(d.Body, &m); err != nil {
		return d.Body
	}
	meta, _ := m["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		m["metadata"] = meta
	}
	meta["resourceVersion"] = strconv.FormatInt(d.Version, 10)
	meta["creationTimestamp"] = d.CreatedAt.UTC().Format(time.RFC3339)
	b, _ := json.Marshal(m)
	return b
}

// clusterJSON is a cluster as the API shows it.
type clusterJSON struct {
	Name        string     `json:"name"`
	Policy      string     `json:"policy"`
	CreatedAt   time.Time  `json:"createdAt"`
	LastSeen    *time.Time `json:"lastSeen"`
	AgentPolicy string     `json:"agentPolicy,omitempty"`
	// PreviousTokenExpires is when the token the cluster had before its
	// last rotation stops (or stopped) working; absent when none is kept.
	PreviousTokenExpires *time.Time `json:"previousTokenExpires,omitempty"`
	// Token is shown once, in the response that registers the cluster or
	// rotates its token.
	Token string `json:"token,omitempty"`
}

func toClusterJSON(c store.Cluster) clusterJSON {
	out := clusterJSON{Name: c.Name, Policy: c.Policy, CreatedAt: c.CreatedAt.UTC(), AgentPolicy: c.AgentPolicy}
	if !c.LastSeen.IsZero() {
		t := c.LastSeen.UTC()
		out.LastSeen = &t
	}
	if !c.PrevTokenExpires.IsZero() {
		t := c.PrevTokenExpires.UTC()
		out.PreviousTokenExpires = &t
	}
	return out
}

func (a *API) clusterRoutes() {
	s := a.opts.Service
	a.handle("GET /api/v1/clusters", RoleViewer, func(w http.ResponseWriter, r *http.Request, _ principal) {
		cs, err := s.Store().ListClusters(r.Context())
		if err != nil {
			a.storeError(w, err)
			return
		}
		items := make([]clusterJSON, 0, len(cs))
		for _, c := range cs {
			items = append(items, toClusterJSON(c))
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items})
	})
	a.handle("POST /api/v1/clusters", RoleAdmin, func(w http.ResponseWriter, r *http.Request, _ principal) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		var req struct {
			Name   string `json:"name"`
			Policy string `json:"policy"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "body: "+err.Error())
			return
		}
		c, token, err := s.RegisterCluster(r.Context(), req.Name)
		if err != nil {
			a.storeError(w, err)
			return
		}
		if req.Policy != "" {
			if c, err = s.AssignPolicy(r.Context(), c.Name, req.Policy); err != nil {
				a.storeError(w, err)
				return
			}
		}
		out := toClusterJSON(c)
		out.Token = token
		w.Header().Set("Cache-Control", "no-store") // the agent token, shown once
		writeJSON(w, http.StatusCreated, out)
	})
	a.handle("GET /api/v1/clusters/{name}", RoleViewer, func(w http.ResponseWriter, r *http.Request, _ principal) {
		c, err := s.Store().GetCluster(r.Context(), r.PathValue("name"))
		if err != nil {
			a.storeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, toClusterJSON(c))
	})
	a.handle("PATCH /api/v1/clusters/{name}", RoleAdmin, func(w http.ResponseWriter, r *http.Request, _ principal) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		var req struct {
			Policy *string `json:"policy"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.Policy == nil {
			writeError(w, http.StatusBadRequest, `body must be {"policy": NAME} ("" clears the assignment)`)
			return
		}
		c, err := s.AssignPolicy(r.Context(), r.PathValue("name"), *req.Policy)
		if err != nil {
			a.storeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, toClusterJSON(c))
	})
	a.handle("DELETE /api/v1/clusters/{name}", RoleAdmin, func(w http.ResponseWriter, r *http.Request, _ principal) {
		if err := s.DeleteCluster(r.Context(), r.PathValue("name")); err != nil {
			a.storeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	a.handle("POST /api/v1/clusters/{name}/token", RoleAdmin, func(w http.ResponseWriter, r *http.Request, _ principal) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		overlap := s.TokenOverlap()
		if len(bytes.TrimSpace(body)) > 0 {
			var req struct {
				Overlap *string `json:"overlap"`
			}
			if err := json.Unmarshal(body, &req); err != nil {
				writeError(w, http.StatusBadRequest, `body must be empty or {"overlap": DURATION} ("0s": the old token stops at once)`)
				return
			}
			if req.Overlap != nil {
				d, err := time.ParseDuration(*req.Overlap)
				if err != nil {
					writeError(w, http.StatusBadRequest, "overlap: "+err.Error())
					return
				}
				overlap = d
			}
		}
		c, token, err := s.RotateToken(r.Context(), r.PathValue("name"), overlap)
		if err != nil {
			a.storeError(w, err)
			return
		}
		out := toClusterJSON(c)
		out.Token = token
		w.Header().Set("Cache-Control", "no-store") // the agent token, shown once
		writeJSON(w, http.StatusOK, out)
	})
}

func (a *API) eventRoutes() {
	a.handle("GET /api/v1/overview", RoleViewer, func(w http.ResponseWriter, r *http.Request, _ principal) {
		o, err := a.opts.Service.Overview(r.Context())
		if err != nil {
			a.storeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, o)
	})
	a.handle("GET /api/v1/events", RoleViewer, func(w http.ResponseWriter, r *http.Request, _ principal) {
		q := r.URL.Query()
		f := store.EventFilter{Cluster: q.Get("cluster"), Namespace: q.Get("namespace"), Rule: q.Get("rule"),
			Action: q.Get("action"), Cursor: q.Get("cursor")}
		if v := q.Get("since"); v != "" {
			t, err := parseSince(v)
			if err != nil {
				writeError(w, http.StatusBadRequest, "since: "+err.Error())
				return
			}
			f.Since = t
		}
		var ok bool
		if f.Limit, ok = queryLimit(w, q); !ok {
			return
		}
		page, err := a.opts.Service.Store().ListEvents(r.Context(), f)
		if err != nil {
			a.listError(w, err)
			return
		}
		if page.Events == nil {
			page.Events = []event.Event{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": page.Events, "next": page.Next})
	})
}

// parseSince reads an RFC 3339 time or a duration ago ("1h", "30m").
func parseSince(v string) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return time.Now().Add(-d), nil
	}
	return time.Parse(time.RFC3339, v)
}

// EnforcingHeader carries, on GET /api/v1/agent/policy, the ETag of the
// policy the agent enforces when it differs from If-None-Match (the agent
// refused a newer version it could not compile), or "-" when it enforces
// none.
const EnforcingHeader = "X-Palisade-Enforcing"

func (a *API) agentRoutes() {
	s := a.opts.Service
	a.handle("GET /api/v1/agent/policy", RoleAgent, func(w http.ResponseWriter, r *http.Request, p principal) {
		wait := 30 * time.Second
		if v := r.URL.Query().Get("wait"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || d > 5*time.Minute {
				writeError(w, http.StatusBadRequest, "wait must be a duration up to 5m")
				return
			}
			wait = d
		}
		inm := r.Header.Get("If-None-Match")
		enforcing := inm
		if v, ok := r.Header[http.CanonicalHeaderKey(EnforcingHeader)]; ok && len(v) > 0 {
			enforcing = v[0]
			if enforcing == "-" {
				enforcing = ""
			}
		}
		if inm != "" && wait > 0 {
			defer a.opts.Metrics.longPoll()()
			edge.Hold(w, wait)
		}
		ap, changed, err := s.AgentPolicyFor(r.Context(), p.cluster, inm, enforcing, wait)
		if err != nil {
			if r.Context().Err() != nil {
				return
			}
			a.storeError(w, err)
			return
		}
		w.Header().Set("ETag", ap.ETag)
		if !changed && r.Header.Get("If-None-Match") != "" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		writeJSON(w, http.StatusOK, ap)
	})
	a.handle("POST /api/v1/agent/events", RoleAgent, func(w http.ResponseWriter, r *http.Request, p principal) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		evs, refusal := decodeEvents(body)
		if refusal != nil {
			writeJSON(w, http.StatusUnprocessableEntity, refusal)
			return
		}
		n, err := s.IngestEvents(r.Context(), p.cluster, evs)
		if err != nil {
			a.storeError(w, err)
			return
		}
		a.opts.Metrics.ingested(len(evs), n)
		writeJSON(w, http.StatusOK, map[string]int{"received": len(evs), "stored": n})
	})
}
