package responder

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/platform/clientcert"
	"github.com/palisade-dev/palisade/internal/platform/edge"
)

// MaxBody bounds one request to /audit or /falco. The API server's audit
// webhook sends batches of up to 400 events by default; 64 MiB leaves
// room for RequestResponse-level events.
const MaxBody = 64 << 20

// Auth is how callers of /audit and /falco prove who they are: a bearer
// token (the audit webhook's kubeconfig carries it; Falcosidekick sends it
// as a header), or a client certificate that the TLS server verified
// against the configured client CA (Falco's http_output with mtls).
type Auth struct {
	Token string
	// ClientCAs accepts requests whose TLS client certificate verified
	// through one of its CAs (nil: none).
	ClientCAs *clientcert.Bundle
}

// Enabled reports whether any way in is configured; without one the
// endpoints refuse everything: a forged alert could terminate pods.
func (a Auth) Enabled() bool { return a.Token != "" || a.ClientCAs != nil }

func (a Auth) allows(r *http.Request) bool {
	if a.ClientCAs.Verified(r) {
		return true
	}
	if a.Token == "" {
		return false
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(a.Token)) == 1
}

// Handler serves POST /audit (the kube-apiserver audit webhook backend),
// POST /falco (Falco's http_output and Palisade's sensor) and GET
// /sensor/rules (the bound rulesets' syscall rules, for the sensor).
func (r *Responder) Handler(auth Auth) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/audit", func(w http.ResponseWriter, req *http.Request) {
		body, ok := r.read(w, req, auth)
		if !ok {
			return
		}
		st, err := r.Audit(req.Context(), body)
		if err == nil && st.Events == 0 && st.Skipped > 0 {
			err = st.FirstSkipped // nothing in the body could be read
		}
		if err != nil {
			r.opts.Metrics.Refused.WithLabelValues("bad_body").Inc()
			r.log.Warn("audit events refused", "error", err, "evaluated", st.Events)
			http.Error(w, fmt.Sprintf("bad audit events (the first %d were evaluated): %v", st.Events, err), http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]int{"events": st.Events, "matches": st.Matches, "skipped": st.Skipped})
	})
	mux.HandleFunc("/falco", func(w http.ResponseWriter, req *http.Request) {
		body, ok := r.read(w, req, auth)
		if !ok {
			return
		}
		alerts, err := falco.ParseAlerts(body)
		if err != nil {
			r.opts.Metrics.Refused.WithLabelValues("bad_body").Inc()
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := r.Alerts(req.Context(), alerts)
		writeJSON(w, map[string]int{"alerts": len(alerts), "matches": n})
	})
	mux.HandleFunc("/sensor/rules", r.sensorRulesHandler(auth))
	return mux
}

// read checks the method, the caller and the content type, and reads the
// body within MaxBody.
func (r *Responder) read(w http.ResponseWriter, req *http.Request, auth Auth) ([]byte, bool) {
	refuse := func(code int, reason, msg string) ([]byte, bool) {
		r.opts.Metrics.Refused.WithLabelValues(reason).Inc()
		edge.RefuseUnread(w, req)
		http.Error(w, msg, code)
		return nil, false
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return refuse(http.StatusMethodNotAllowed, "method", "use POST")
	}
	if !auth.Enabled() {
		return refuse(http.StatusForbidden, "disabled",
			"runtime intake is disabled: start the agent with --runtime-token-file or --runtime-client-ca-file")
	}
	if !auth.allows(req) {
		return refuse(http.StatusUnauthorized, "unauthenticated", "a bearer token or a verified client certificate is required")
	}
	if ct := req.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/x-ndjson" && mt != "text/plain") {
			return refuse(http.StatusUnsupportedMediaType, "content_type", "content type must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return refuse(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body over %d bytes", MaxBody))
	case err != nil:
		return refuse(http.StatusBadRequest, "read", "read body: "+err.Error())
	}
	return body, true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
