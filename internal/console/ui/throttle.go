package ui

import (
	"context"
	"net/netip"
	"time"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/platform/edge"
)

// How failed logins are throttled: a client address (an IPv6 /64) that
// fails loginFailures times within loginWindow is answered 429 until the
// window ends; a login being checked counts as failed until it succeeds.
// The counts are kept in the console's store, so a client is counted once
// whichever console replica it reaches; ended windows are forgotten as
// new logins come, so the table stays as small as the failures of the
// last minute.
const (
	loginFailures = 5
	loginWindow   = time.Minute
)

// loginThrottle counts failed logins per client address, in the store.
type loginThrottle struct {
	svc *service.Service
	now func() time.Time
}

// begin is called before a login's token is checked. It returns how long
// the client must wait, or 0 and counts the attempt as a failure until
// succeeded says otherwise: checking and counting in one step, so that
// logins sent at once cannot all pass a check made before any of them
// failed.
func (t *loginThrottle) begin(ctx context.Context, client netip.Addr) (time.Duration, error) {
	return t.svc.BeginLogin(ctx, edge.Key(client).String(), t.now(), loginWindow, loginFailures)
}

// succeeded takes back the attempt begin counted. It does not forget the
// client's earlier failures: a login with one token (the viewer's) must
// not reset the count of guesses at another.
func (t *loginThrottle) succeeded(ctx context.Context, client netip.Addr) error {
	return t.svc.EndLogin(ctx, edge.Key(client).String())
}
