package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/enforce/admission"
	"github.com/palisade-dev/palisade/internal/platform/clientcert"
	"github.com/palisade-dev/palisade/internal/platform/edge"
	"github.com/palisade-dev/palisade/internal/platform/strictjson"
)

// Log keys.
const (
	keyUID       = "uid"
	keyOperation = "operation"
	keyKind      = "kind"
	keyNamespace = "namespace"
	keyName      = "name"
	keyUser      = "user"
	keyAllowed   = "allowed"
	keyError     = "error"
)

// MaxBodyBytes bounds an AdmissionReview body. The API server limits
// objects to 3 MiB; a review carries the object and the old object.
const MaxBodyBytes = 7 << 20

// DefaultTimeout applies when the API server sends no timeout.
const DefaultTimeout = 10 * time.Second

// Options configure a Handler.
type Options struct {
	Reviewer *admission.Reviewer
	Metrics  *Metrics
	Logger   *slog.Logger
	// Ready reports whether the agent can judge requests (a policy and a
	// certificate are loaded).
	Ready func() error
	// ClientCAs, when set, makes /validate and /mutate refuse (401) every
	// caller without a client certificate verified through one of its CAs:
	// the API server's, from its admission configuration's kubeconfig.
	// Events say whether their caller was authenticated.
	ClientCAs *clientcert.Bundle
}

// Handler serves /validate, /mutate (imagesNotSigned's mutateToDigest),
// /healthz, /readyz and /metrics.
type Handler struct {
	opts Options
	mux  *http.ServeMux
	// unauthLogged is when (Unix ns) a refused caller was last logged.
	unauthLogged atomic.Int64
}

// unauthLogEvery is how often, at most, refused callers are logged: an API
// server not configured to present its certificate is refused on every
// review, and under failurePolicy Ignore everything is then admitted
// unchecked, which must not go unseen.
const unauthLogEvery = time.Minute

// NewHandler returns the agent's HTTP handler.
func NewHandler(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Ready == nil {
		opts.Ready = func() error { return nil }
	}
	h := &Handler{opts: opts, mux: http.NewServeMux()}
	h.mux.HandleFunc("/validate", func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, h.opts.Reviewer.Review, true)
	})
	h.mux.HandleFunc("/mutate", func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, h.opts.Reviewer.Mutate, false)
	})
	h.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	h.mux.HandleFunc("/readyz", h.readyz)
	if opts.Metrics != nil {
		h.mux.Handle("/metrics", opts.Metrics.Handler())
	}
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Handle mounts another endpoint on the agent's server (the runtime
// intake: /audit, /falco).
func (h *Handler) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

func (h *Handler) readyz(w http.ResponseWriter, _ *http.Request) {
	if err := h.opts.Ready(); err != nil {
		http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ok\n")
}

// httpError is a request the edge refuses before admission sees it.
type httpError struct {
	code   int
	reason string
	err    error
}

// serve answers one AdmissionReview with review's outcome; validating
// reviews are counted in the review metrics and logged when they found
// something.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, review func(context.Context, *admissionv1.AdmissionRequest) admission.Outcome, validating bool) {
	start := time.Now()
	op := "unknown"
	defer func() {
		if p := recover(); p != nil {
			h.opts.Logger.Error("panic while reviewing", keyError, fmt.Sprint(p), "stack", string(debug.Stack()))
			h.opts.Metrics.observeError("panic")
			// 500: the API server applies the webhook's failurePolicy.
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	caller := event.CallerUnauthenticated
	if h.opts.ClientCAs != nil {
		if !h.opts.ClientCAs.Verified(r) {
			// Refused before the body is read.
			h.opts.Metrics.observeError("unauthenticated")
			if now, last := time.Now().UnixNano(), h.unauthLogged.Load(); now-last >= int64(unauthLogEvery) && h.unauthLogged.CompareAndSwap(last, now) {
				h.opts.Logger.Error("admission review refused: the caller presented no client certificate from --admission-client-ca-file; "+
					"if it is the API server, configure its --admission-control-config-file (docs/operations.md) or turn webhook.clientAuth off: "+
					"until then the webhook's failurePolicy decides every review (Ignore admits everything unchecked)",
					"remote", r.RemoteAddr, "path", r.URL.Path)
			}
			edge.RefuseUnread(w, r)
			http.Error(w, "a client certificate verified by the agent's --admission-client-ca-file is required", http.StatusUnauthorized)
			return
		}
		caller = event.CallerAuthenticated
	}
	rv, herr := readReview(w, r)
	if herr != nil {
		h.opts.Metrics.observeError(herr.reason)
		h.opts.Logger.Warn("bad admission request", keyError, herr.err)
		edge.RefuseUnread(w, r) // a refused body is never read to its end
		http.Error(w, herr.err.Error(), herr.code)
		return
	}
	req := rv.Request
	op = string(req.Operation)
	ctx, cancel := context.WithTimeout(admission.WithCaller(r.Context(), caller), requestTimeout(r))
	defer cancel()

	out := review(ctx, req)
	if out.SinkErr != nil {
		h.opts.Logger.Error("events not recorded", keyUID, req.UID, keyError, out.SinkErr)
		h.opts.Metrics.observeError("event_sink")
	}
	resp := admissionv1.AdmissionReview{TypeMeta: rv.TypeMeta, Response: out.Response}
	body, err := json.Marshal(&resp)
	if err != nil {
		h.opts.Metrics.observeError("encode")
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
	if !validating {
		return
	}
	h.opts.Metrics.observe(op, out, time.Since(start))
	if len(out.Findings) > 0 {
		h.opts.Logger.Info("admission decision", keyUID, req.UID, keyOperation, op, keyKind, req.Kind.Kind,
			keyNamespace, req.Namespace, keyName, req.Name, keyUser, req.UserInfo.Username, keyAllowed, out.Response.Allowed)
	}
}

// reviewJSON reads an AdmissionReview as objects are read (unknown fields
// ignored, invalid UTF-8 replaced) except that a name given twice, at any
// depth, is refused: the API server never writes one, so a review that
// does was written by someone else, and its object could read differently
// to Palisade and to whoever acts on it.
var reviewJSON = strictjson.New(strictjson.Duplicates)

func readReview(w http.ResponseWriter, r *http.Request) (*admissionv1.AdmissionReview, *httpError) {
	if r.Method != http.MethodPost {
		return nil, &httpError{http.StatusMethodNotAllowed, "method", fmt.Errorf("method %s not allowed: use POST", r.Method)}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, &httpError{http.StatusUnsupportedMediaType, "content_type", fmt.Errorf("content type %q: want application/json", r.Header.Get("Content-Type"))}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &httpError{http.StatusRequestEntityTooLarge, "too_large", fmt.Errorf("body larger than %d bytes", MaxBodyBytes)}
		}
		return nil, &httpError{http.StatusBadRequest, "read", fmt.Errorf("read body: %w", err)}
	}
	var review admissionv1.AdmissionReview
	if err := reviewJSON.Unmarshal(body, &review); err != nil {
		return nil, &httpError{http.StatusBadRequest, "decode", fmt.Errorf("decode AdmissionReview: %w", err)}
	}
	if review.APIVersion != "admission.k8s.io/v1" || review.Kind != "AdmissionReview" {
		return nil, &httpError{http.StatusBadRequest, "version", fmt.Errorf("got %s %s: want admission.k8s.io/v1 AdmissionReview", review.APIVersion, review.Kind)}
	}
	if review.Request == nil {
		return nil, &httpError{http.StatusBadRequest, "decode", errors.New("AdmissionReview has no request")}
	}
	return &review, nil
}

// requestTimeout is the API server's timeout for this call ("?timeout=10s"),
// less a margin to answer in time, or DefaultTimeout.
func requestTimeout(r *http.Request) time.Duration {
	d, err := time.ParseDuration(r.URL.Query().Get("timeout"))
	if err != nil || d <= 0 {
		return DefaultTimeout
	}
	if d > 200*time.Millisecond {
		d -= 100 * time.Millisecond
	}
	return d
}
