package event

import (
	"context"
	"time"

	"github.com/google/uuid"
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
	// Caller says whether the request behind an admission event came from
	// an authenticated caller: CallerAuthenticated (a client certificate
	// verified against the agent's --admission-client-ca-file) or
	// CallerUnauthenticated (anyone who reached the agent's port could have
	// sent it, user, namespace and object included). Empty for events no
	// admission request caused, and for those recorded before the field.
	Caller string `json:"caller,omitempty"`
	// AgentTime is the time the agent gave an event whose time was too far
	// from the console's clock when it arrived (a wrong clock, or a made-up
	// date): Time is then when the console received it. Zero otherwise;
	// only the console sets it.
	AgentTime time.Time `json:"agentTime,omitzero"`
}

// Caller values.
const (
	CallerAuthenticated   = "authenticated"
	CallerUnauthenticated = "unauthenticated"
)

// Sink receives events. Record must not block on slow storage for long:
// callers sit on the admission path.
type Sink interface {
	Record(ctx context.Context, events []Event) error
}

// NewID returns a unique event ID: a UUIDv7 in its canonical form
// ("0192f1c4-8e3a-7b2d-9c4e-1f2a3b4c5d6e"), whose first 48 bits are the
// Unix time in milliseconds, so IDs sort by time and stores index them
// cheaply.
func NewID() string {
	// NewV7 fails only when crypto/rand does, which since Go 1.24 never
	// returns (it aborts the program instead).
	return uuid.Must(uuid.NewV7()).String()
}

// Discard is a Sink that drops everything.
type Discard struct{}

// Record implements Sink.
func (Discard) Record(context.Context, []Event) error { return nil }
