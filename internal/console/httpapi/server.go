package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/platform/edge"
	"github.com/palisade-dev/palisade/internal/supply/scanreport"
)

// Role is what a token may do.
type Role int

// Roles, least to most privileged.
const (
	RoleNone Role = iota
	RoleAgent
	RoleViewer
	RoleAdmin
)

// Options configure the API.
type Options struct {
	Service     *service.Service
	AdminToken  string
	ViewerToken string // optional
	Logger      *slog.Logger
	// Metrics, when not nil, counts ingested events and held long polls.
	Metrics *Metrics
	// Proxies are the peers trusted to say, in X-Forwarded-For, which
	// client they forward: the address the audit log records.
	Proxies edge.Proxies
}

// MaxBodyBytes bounds request bodies (documents, event batches).
const MaxBodyBytes = 8 << 20

// API serves /api/v1.
type API struct {
	opts Options
	mux  *http.ServeMux
	// patterns are the routes served, for the test that checks that
	// openapi.yaml describes each.
	patterns []string
}

// New returns the API handler.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &API{opts: opts, mux: http.NewServeMux()}
	a.routes()
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			a.opts.Logger.Error("panic in API handler", "path", r.URL.Path, "panic", p)
			writeError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	a.mux.ServeHTTP(w, r)
}

type principal struct {
	role    Role
	cluster string // for agents
	// unavailable: the token could not be checked (the store failed).
	unavailable bool
}

// actor names the principal in the audit log: "token:admin",
// "token:viewer" or "agent:CLUSTER".
func (p principal) actor() string {
	switch p.role {
	case RoleAdmin:
		return "token:admin"
	case RoleViewer:
		return "token:viewer"
	case RoleAgent:
		return "agent:" + p.cluster
	}
	return service.ActorAnonymous
}

// client is the request's client address: the peer, or the client a
// trusted proxy forwards.
func (a *API) client(r *http.Request) string {
	if c := a.opts.Proxies.Client(r); c.IsValid() {
		return c.String()
	}
	return r.RemoteAddr
}

// authenticate resolves the bearer token. Tokens are compared in constant
// time and never logged.
func (a *API) authenticate(r *http.Request) principal {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return principal{}
	}
	if a.opts.AdminToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(a.opts.AdminToken)) == 1 {
		return principal{role: RoleAdmin}
	}
	if a.opts.ViewerToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(a.opts.ViewerToken)) == 1 {
		return principal{role: RoleViewer}
	}
	c, err := a.opts.Service.ClusterForToken(r.Context(), tok)
	switch {
	case err == nil:
		return principal{role: RoleAgent, cluster: c.Name}
	case errors.Is(err, service.ErrTokenExpired):
		// Refused as any unknown token, but worth telling the operator:
		// the agent was not given its cluster's new token in time.
		a.opts.Logger.Warn("an agent called with its cluster's previous token after the overlap window ended: "+
			"give the agent the token the rotation issued", "error", err, "remote", a.client(r))
	case !errors.Is(err, store.ErrNotFound):
		// A database outage is not a bad token: agents must not be told
		// their token was refused.
		a.opts.Logger.Error("could not check an agent token", "error", err)
		return principal{unavailable: true}
	}
	return principal{}
}

// handle adapts a handler that needs a minimum role (agents are allowed
// only where want is RoleAgent). A request refused is answered before its
// body is read, and its connection closed: a client without a token that
// sends a body slowly holds nothing.
func (a *API) handle(pattern string, want Role, h func(w http.ResponseWriter, r *http.Request, p principal)) {
	a.patterns = append(a.patterns, pattern)
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p := a.authenticate(r)
		code, msg := refusal(p, want)
		if code == 0 {
			// Who asks, for the audit log of the changes the service makes.
			r = r.WithContext(service.WithActor(r.Context(), service.Actor{Name: p.actor(), Remote: a.client(r)}))
			h(w, r, p)
			return
		}
		edge.RefuseUnread(w, r)
		switch code {
		case http.StatusServiceUnavailable:
			w.Header().Set("Retry-After", "5")
		case http.StatusUnauthorized:
			w.Header().Set("WWW-Authenticate", `Bearer realm="palisade"`)
		}
		writeError(w, code, msg)
	})
}

// refusal is the status and message refusing p where want is needed, or 0.
func refusal(p principal, want Role) (int, string) {
	switch {
	case p.unavailable:
		return http.StatusServiceUnavailable, "the console cannot check tokens right now; retry"
	case p.role == RoleNone:
		return http.StatusUnauthorized, "a valid bearer token is required"
	case want == RoleAgent && p.role != RoleAgent:
		return http.StatusForbidden, "this endpoint is for agents (use a cluster's agent token)"
	case want != RoleAgent && (p.role == RoleAgent || p.role < want):
		return http.StatusForbidden, "this token may not do that"
	}
	return 0, ""
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// apiError is the body of every error response.
type apiError struct {
	Error   string        `json:"error"`
	Details []fieldDetail `json:"details,omitempty"`
}

type fieldDetail struct {
	Field string `json:"field"`
	// Type is the kind of field error ("Unsupported value"); a scan
	// report's problems say it in Detail.
	Type   string `json:"type,omitempty"`
	Value  any    `json:"value,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Source names the input (a scan report's name) when it is not the
	// request body itself.
	Source string `json:"source,omitempty"`
	Line   int    `json:"line,omitempty"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{Error: msg})
}

// storeError maps service and store errors to status codes.
func (a *API) storeError(w http.ResponseWriter, err error) {
	var inv *service.InvalidError
	var report *scanreport.Error
	switch {
	case errors.As(err, &inv):
		body := apiError{Error: inv.Error()}
		for _, p := range inv.Problems {
			body.Details = append(body.Details, fieldDetail{Field: p.Err.Field, Type: p.Err.Type.String(), Value: p.Err.BadValue, Detail: p.Err.Detail, Line: p.Line})
		}
		writeJSON(w, http.StatusUnprocessableEntity, body)
	case errors.As(err, &report):
		body := apiError{Error: report.Error()}
		for _, p := range report.Problems {
			body.Details = append(body.Details, fieldDetail{Field: p.Field, Detail: p.Message, Source: p.Source, Line: p.Line})
		}
		writeJSON(w, http.StatusUnprocessableEntity, body)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrBusy):
		// More is waiting to be written than the store takes: the agent
		// keeps its events and retries after its backoff.
		w.Header().Set("Retry-After", "2")
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		// The database did not answer in time (a busy pool): a retry
		// later may succeed, which a 500 would not say.
		a.opts.Logger.Warn("console request timed out in the database", "error", err)
		w.Header().Set("Retry-After", "2")
		writeError(w, http.StatusServiceUnavailable, "the database is busy; retry")
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInUse):
		writeError(w, http.StatusConflict, err.Error())
	default:
		a.opts.Logger.Error("console request failed", "error", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

// queryLimit reads a list's limit parameter: 0 when absent (the store's
// default); false, answered 400, when it is not a positive number.
func queryLimit(w http.ResponseWriter, q url.Values) (int, bool) {
	v := q.Get("limit")
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		writeError(w, http.StatusBadRequest, "limit must be a positive number")
		return 0, false
	}
	return n, true
}

// listError answers a list's failure: 400 for a filter or cursor the
// store cannot use, else as storeError.
func (a *API) listError(w http.ResponseWriter, err error) {
	if errors.Is(err, store.ErrInvalid) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.storeError(w, err)
}

// readBody reads a body of at most MaxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	return readBodyUpTo(w, r, MaxBodyBytes)
}

// readBodyUpTo reads a body of at most limit bytes; a larger one is
// answered 413.
func readBodyUpTo(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "body too large")
		} else {
			writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		}
		return nil, false
	}
	return b, true
}
