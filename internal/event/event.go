package event

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Event is one decision of the event trail.
type Event struct {
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	Cluster   string    `json:"cluster,omitempty"`
	Namespace string    `json:"namespace,omitempty"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Container string    `json:"container,omitempty"`
	// Tab is deployment, continuous or runtime.
	Tab  string `json:"tab"`
	Rule string `json:"rule"`
	// Action is log, block, isolate or terminate.
	Action  string `json:"action"`
	Policy  string `json:"policy,omitempty"`
	User    string `json:"user,omitempty"`
	Message string `json:"message"`
	// Operation is the admission operation (CREATE, UPDATE, CONNECT).
	Operation string `json:"operation,omitempty"`
}

// Sink receives events. Record must not block on slow storage for long:
// callers sit on the admission path.
type Sink interface {
	Record(ctx context.Context, events []Event) error
}

// NewID returns a unique event ID: 128 bits in hex, the first 48 the
// Unix time in milliseconds and the rest random (the layout of UUIDv7), so
// IDs sort by time and stores index them cheaply.
func NewID() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}

// Discard is a Sink that drops everything.
type Discard struct{}

// Record implements Sink.
func (Discard) Record(context.Context, []Event) error { return nil }
