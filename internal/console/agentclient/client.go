package agentclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/platform/apiclient"
	"github.com/palisade-dev/palisade/internal/platform/eventqueue"
	"github.com/palisade-dev/palisade/internal/platform/redact"
)

// Client is a managed agent's connection to the console's agent API
// (SPEC §5): it pulls the cluster's policy, pushes events and asks for scan
// results. The token is sent as a bearer token and never logged.
type Client struct {
	base   *url.URL
	tokens TokenSource
	hc     *http.Client
}

// New returns a client for the console at baseURL that sends token.
// caFile, when set, is the PEM bundle that signs the console's
// certificate.
func New(baseURL, token, caFile string) (*Client, error) {
	if token == "" {
		return nil, errors.New("an agent token is required with --console")
	}
	return NewWithSource(baseURL, FixedToken(token), caFile)
}

// NewWithSource returns a client for the console at baseURL that takes
// its token from tokens before each call, and once more after the console
// refuses it (a token rotated on the console).
func NewWithSource(baseURL string, tokens TokenSource, caFile string) (*Client, error) {
	if tokens == nil {
		return nil, errors.New("an agent token is required with --console")
	}
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--console %q: want http(s)://host[:port]", redact.URL(baseURL))
	}
	hc, err := apiclient.NewHTTPClient(caFile, "--console-ca-file", 0, 4)
	if err != nil {
		return nil, err
	}
	return &Client{base: u, tokens: tokens, hc: hc}, nil
}

// Private reports whether the token travels protected: over HTTPS, or to
// a loopback address.
func (c *Client) Private() bool { return apiclient.Private(c.base) }

// PolicyAnswer is the body of GET /api/v1/agent/policy.
type PolicyAnswer struct {
	ETag     string            `json:"etag"`
	Policy   json.RawMessage   `json:"policy"`
	Rulesets []json.RawMessage `json:"rulesets,omitempty"`
}

// StatusError is an unexpected answer from the console.
type StatusError struct {
	Code int
	Msg  string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("console answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Msg)
}

// do sends a request with the token. When the console refuses the token
// (401), it may have been rotated, and the new one be in the token's file
// already (a mounted Secret the kubelet updated): the request is sent once
// more with it. A refusal with no other token to try is the caller's
// answer to handle.
func (c *Client) do(ctx context.Context, method, path string, body []byte, hdr http.Header, timeout time.Duration) (*http.Response, error) {
	token := c.tokens.Token()
	resp, err := c.send(ctx, method, path, body, hdr, timeout, token)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	next, err := c.tokens.Replacement(token)
	if err != nil {
		msg := errorBody(resp)
		resp.Body.Close()
		return nil, &StatusError{Code: resp.StatusCode, Msg: fmt.Sprintf("%s (reading the token again: %v)", msg, err)}
	}
	if next == "" {
		return resp, nil
	}
	resp.Body.Close()
	return c.send(ctx, method, path, body, hdr, timeout, next)
}

func (c *Client) send(ctx context.Context, method, path string, body []byte, hdr http.Header, timeout time.Duration, token string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "palisade-agent")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		cancel()
		// The URL error repeats the URL, never the token.
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func errorBody(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return apiclient.ErrorMessage(b)
}

// Policy long-polls the cluster's policy: it returns when the console's
// version differs from etag, or after about wait with changed false.
// enforcing is the version the agent enforces, for the console to show.
func (c *Client) Policy(ctx context.Context, etag, enforcing string, wait time.Duration) (PolicyAnswer, bool, error) {
	hdr := http.Header{}
	if etag != "" {
		hdr.Set("If-None-Match", etag)
	}
	if enforcing != etag {
		// The agent enforces something else than the newest version it
		// knows (it refused that one): say what, "-" for nothing at all.
		if enforcing == "" {
			enforcing = "-"
		}
		hdr.Set("X-Palisade-Enforcing", enforcing)
	}
	path := "/api/v1/agent/policy?wait=" + url.QueryEscape(wait.String())
	resp, err := c.do(ctx, http.MethodGet, path, nil, hdr, wait+30*time.Second)
	if err != nil {
		return PolicyAnswer{}, false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return PolicyAnswer{ETag: etag}, false, nil
	case http.StatusOK:
		var p PolicyAnswer
		if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&p); err != nil {
			return PolicyAnswer{}, false, fmt.Errorf("console policy: %w", err)
		}
		if p.ETag == "" {
			p.ETag = resp.Header.Get("ETag")
		}
		return p, p.ETag != etag, nil
	}
	return PolicyAnswer{}, false, &StatusError{Code: resp.StatusCode, Msg: errorBody(resp)}
}

// PushEvents delivers a batch; it is an eventqueue.SendFunc. Answers the
// console will never accept for this batch become RejectedError; a token
// the console refuses is retried (it may be re-registered), loudly.
func (c *Client) PushEvents(ctx context.Context, batch []event.Event) error {
	body, err := json.Marshal(struct {
		Events []event.Event `json:"events"`
	}{batch})
	if err != nil {
		return &eventqueue.RejectedError{Err: err}
	}
	resp, err := c.do(ctx, http.MethodPost, "/api/v1/agent/events", body, nil, 30*time.Second)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		// Only the console's own answer counts as delivery.
		var ack struct {
			Received *int `json:"received"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&ack); err != nil || ack.Received == nil || *ack.Received != len(batch) {
			return &StatusError{Code: code, Msg: "the answer is not the console's acknowledgement of the batch"}
		}
		return nil
	case code == http.StatusRequestEntityTooLarge:
		return eventqueue.ErrTooLarge
	case code == http.StatusBadRequest || code == http.StatusUnprocessableEntity:
		return &eventqueue.RejectedError{Err: &StatusError{Code: code, Msg: errorBody(resp)}}
	}
	return &StatusError{Code: code, Msg: errorBody(resp)}
}

// ImageQuery names an image whose scan results an agent asks the console
// for: the reference as a pod names it, and the digest it runs when known.
type ImageQuery struct {
	Image  string `json:"image"`
	Digest string `json:"digest,omitempty"`
}

// ImageResult is the console's answer to one ImageQuery; Result is set
// when Found.
type ImageResult struct {
	Image  string            `json:"image"`
	Digest string            `json:"digest,omitempty"`
	Found  bool              `json:"found"`
	Result *scanresult.Image `json:"result,omitempty"`
}

// Scan-result queries are sent in batches of ScanQueryBatch (the console
// takes up to 10000), each answer read up to scanAnswerBytes.
const (
	ScanQueryBatch  = 1000
	scanAnswerBytes = 256 << 20
)

// ScanResults asks the console for the scan results of images, in
// batches, and returns one result per query in their order.
func (c *Client) ScanResults(ctx context.Context, queries []ImageQuery) ([]ImageResult, error) {
	out := make([]ImageResult, 0, len(queries))
	for start := 0; start < len(queries); start += ScanQueryBatch {
		batch := queries[start:min(start+ScanQueryBatch, len(queries))]
		res, err := c.scanResults(ctx, batch)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	return out, nil
}

func (c *Client) scanResults(ctx context.Context, batch []ImageQuery) ([]ImageResult, error) {
	body, err := json.Marshal(struct {
		Images []ImageQuery `json:"images"`
	}{batch})
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPost, "/api/v1/agent/scan-results", body, nil, 60*time.Second)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Code: resp.StatusCode, Msg: errorBody(resp)}
	}
	var answer struct {
		Results []ImageResult `json:"results"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, scanAnswerBytes)).Decode(&answer); err != nil {
		return nil, fmt.Errorf("console scan results: %w", err)
	}
	if len(answer.Results) != len(batch) {
		return nil, fmt.Errorf("console scan results: %d results for %d images", len(answer.Results), len(batch))
	}
	for i, r := range answer.Results {
		if r.Image != batch[i].Image || r.Found != (r.Result != nil) {
			return nil, fmt.Errorf("console scan results: result %d does not answer image %q", i, batch[i].Image)
		}
	}
	return answer.Results, nil
}
