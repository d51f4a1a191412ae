package service

import "context"

// Actor is who asks the service for a change, and from where. The HTTP
// layers put it in a request's context (WithActor) once they know who is
// calling; the service writes it into the audit log with every change.
type Actor struct {
	// Name is "token:admin" or "token:viewer" (the REST API's bearer
	// tokens), "ui:admin" or "ui:viewer" (a web session), "agent:CLUSTER"
	// (an agent token), or ActorAnonymous (a failed login).
	Name string
	// Remote is the client's address, as the trusted proxies tell it.
	Remote string
}

// Actor names the service gives.
const (
	// ActorAnonymous is a caller who has not shown a token that works.
	ActorAnonymous = "anonymous"
	// ActorUnknown is recorded for a change asked for without an actor in
	// its context: code that calls the service directly, not a request.
	ActorUnknown = "unknown"
)

type actorKey struct{}

// WithActor returns ctx carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, or one named ActorUnknown.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	if a.Name == "" {
		a.Name = ActorUnknown
	}
	return a
}
