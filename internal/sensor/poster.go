package sensor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/platform/backoff"
	"github.com/palisade-dev/palisade/internal/platform/redact"
)

// Poster sends alerts to a Palisade agent's POST /falco (the endpoint
// Falco's http_output posts to), in batches, retrying while the agent is
// away. Its queue is bounded: when it is full an alert is dropped, counted
// (palisade_sensor_alerts_dropped_total) and logged, never silently.
type Poster struct {
	url, token string
	client     *http.Client
	queue      chan falco.Alert
	log        *slog.Logger
	dropped    prometheus.Counter
	sent       prometheus.Counter
	done       chan struct{}
}

// PosterQueue is how many alerts wait for the agent at most.
const PosterQueue = 4096

// maxBatch bounds the alerts of one POST.
const maxBatch = 256

// NewPoster returns a Poster for the agent's /falco URL; token is the
// agent's runtime intake token (Authorization: Bearer).
func NewPoster(url, token string, client *http.Client, reg prometheus.Registerer, log *slog.Logger) *Poster {
	p := &Poster{url: url, token: token, client: client, queue: make(chan falco.Alert, PosterQueue), log: log,
		done: make(chan struct{}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "palisade_sensor_alerts_dropped_total",
			Help: "Alerts not delivered to the agent because the queue to it was full."}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{Name: "palisade_sensor_alerts_delivered_total",
			Help: "Alerts the agent accepted."}),
	}
	reg.MustRegister(p.dropped, p.sent)
	return p
}

// Send queues an alert without waiting.
func (p *Poster) Send(a falco.Alert) {
	select {
	case p.queue <- a:
	default:
		p.dropped.Inc()
		p.log.Warn("alert dropped: the queue to the agent is full", "rule", a.Rule, "queue", PosterQueue)
	}
}

// Run delivers queued alerts until ctx ends, then tries once more to
// deliver what is queued (for up to 5 s).
func (p *Poster) Run(ctx context.Context) {
	defer close(p.done)
	bo := backoff.Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second}
	var batch []falco.Alert
	for {
		if len(batch) == 0 {
			select {
			case a := <-p.queue:
				batch = append(batch, a)
			case <-ctx.Done():
				p.flush()
				return
			}
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case a := <-p.queue:
				batch = append(batch, a)
			default:
				break drain
			}
		}
		if err := p.post(ctx, batch); err != nil {
			wait, n, log := bo.Failed()
			if log {
				p.log.Warn("cannot deliver alerts to the agent; retrying", "url", redact.URL(p.url), "alerts", len(batch), "failures", n, "err", err)
			}
			if !backoff.Sleep(ctx, backoff.Jitter(wait)) {
				p.flush(batch...)
				return
			}
			continue
		}
		bo.Succeeded()
		p.sent.Add(float64(len(batch)))
		batch = batch[:0]
	}
}

// flush makes one last attempt at delivering the batch and the queue.
func (p *Poster) flush(batch ...falco.Alert) {
	for {
		select {
		case a := <-p.queue:
			batch = append(batch, a)
			continue
		default:
		}
		break
	}
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.post(ctx, batch); err != nil {
		p.log.Error("alerts not delivered at shutdown", "alerts", len(batch), "err", err)
		p.dropped.Add(float64(len(batch)))
	}
}

func (p *Poster) post(ctx context.Context, batch []falco.Alert) error {
	body, err := json.Marshal(batch)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("agent answered %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// Wait waits for Run to return.
func (p *Poster) Wait() { <-p.done }
