package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// MaxScanReportBytes bounds a scan report posted to /api/v1/scan-results
// (Trivy's JSON for a large image runs to megabytes).
const MaxScanReportBytes = 32 << 20

// MaxImageQueries bounds the images one POST /api/v1/agent/scan-results
// asks about.
const MaxImageQueries = 10000

// maxReportName bounds ?name=, which names the report in problems and in
// every stored scan's source.
const maxReportName = 255

// imageQuery is one image an agent asks about: the reference as a pod
// names it, and the digest it runs when known.
type imageQuery struct {
	Image  string `json:"image"`
	Digest string `json:"digest,omitempty"`
}

// imageResult answers an imageQuery; Result is set when Found.
type imageResult struct {
	Image  string            `json:"image"`
	Digest string            `json:"digest,omitempty"`
	Found  bool              `json:"found"`
	Result *scanresult.Image `json:"result,omitempty"`
}

func (a *API) scanResultRoutes() {
	s := a.opts.Service
	a.handle("POST /api/v1/scan-results", RoleAdmin, func(w http.ResponseWriter, r *http.Request, _ principal) {
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "request"
		}
		if len(name) > maxReportName || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("name must be a file name of at most %d bytes, without control characters", maxReportName))
			return
		}
		body, ok := readBodyUpTo(w, r, MaxScanReportBytes)
		if !ok {
			return
		}
		sum, err := s.ImportScanResults(r.Context(), name, body)
		if err != nil {
			a.storeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, sum)
	})
	a.handle("GET /api/v1/scan-results", RoleViewer, func(w http.ResponseWriter, r *http.Request, _ principal) {
		q := r.URL.Query()
		ref, digest := q.Get("image"), q.Get("digest")
		if ref == "" {
			writeError(w, http.StatusBadRequest, "image is required: ?image=REF[&digest=sha256:...]")
			return
		}
		im, ok := s.LookupScanResults(ref, digest)
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no scan results for image %q", ref))
			return
		}
		writeJSON(w, http.StatusOK, im)
	})
	a.handle("POST /api/v1/agent/scan-results", RoleAgent, func(w http.ResponseWriter, r *http.Request, _ principal) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		var req struct {
			Images []imageQuery `json:"images"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, `body must be {"images": [{"image": REF, "digest": DIGEST}, ...]}: `+err.Error())
			return
		}
		if len(req.Images) > MaxImageQueries {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%d images: at most %d per request", len(req.Images), MaxImageQueries))
			return
		}
		for i, q := range req.Images {
			if q.Image == "" {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("images[%d].image is required", i))
				return
			}
		}
		a.writeResults(w, req.Images)
	})
}

// writeResults answers queries in their order, one result at a time: a
// large answer is never held whole in memory.
func (a *API) writeResults(w http.ResponseWriter, queries []imageQuery) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"results":[`)
	for i, q := range queries {
		res := imageResult{Image: q.Image, Digest: q.Digest}
		res.Result, res.Found = a.opts.Service.LookupScanResults(q.Image, q.Digest)
		b, err := json.Marshal(res)
		if err != nil {
			// The status is sent: a cut answer is all the agent can be told.
			a.opts.Logger.Error("encode scan results", "image", q.Image, "error", err)
			return
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.Write(b)
	}
	bw.WriteString("]}\n")
	bw.Flush()
}
