package retention

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Store is what retention asks of the console's store (store.Store has
// both).
type Store interface {
	PrepareEvents(ctx context.Context, now time.Time) error
	DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error)
}

// Defaults.
const (
	// DefaultRetention is how long the console keeps events unless told.
	DefaultRetention = 30 * 24 * time.Hour
	// MinRetention is the shortest retention: events expire by whole
	// days.
	MinRetention = 24 * time.Hour
	// DefaultInterval is how often a Keeper works.
	DefaultInterval = time.Hour
)

// Options configure a Keeper.
type Options struct {
	Store Store
	// Retention is how long events are kept (see Cutoff); 0 keeps every
	// event, and the coming days are still prepared.
	Retention time.Duration
	// Interval between passes (DefaultInterval when 0).
	Interval time.Duration
	Logger   *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Passed, when not nil, is told what each pass deleted and whether it
	// failed: the console's metrics.
	Passed func(deleted int64, err error)
}

// Keeper runs the passes.
type Keeper struct {
	opts Options
}

// New returns a Keeper.
func New(opts Options) *Keeper {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Keeper{opts: opts}
}

// Cutoff is the time before which events have expired at now: the start
// of the UTC day that holds now - retention. Days expire whole, so an
// event is kept at least the retention and at most a day longer; on
// PostgreSQL, expiring a day is dropping its partition.
func Cutoff(now time.Time, retention time.Duration) time.Time {
	y, m, d := now.Add(-retention).UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Run makes a pass at once and then every interval until ctx ends. A
// pass that fails is logged and the next one tries again.
func (k *Keeper) Run(ctx context.Context) {
	log := k.opts.Logger
	if k.opts.Retention > 0 {
		log.Info("event retention", "retention", k.opts.Retention.String(), "interval", k.opts.Interval.String())
	} else {
		log.Info("event retention off: every event is kept")
	}
	t := time.NewTicker(k.opts.Interval)
	defer t.Stop()
	for {
		k.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pass runs one Pass and logs what it did.
func (k *Keeper) pass(ctx context.Context) {
	start, now := time.Now(), k.opts.Now()
	n, err := k.passAt(ctx, now)
	if ctx.Err() != nil {
		return
	}
	log := k.opts.Logger
	took := time.Since(start).Round(time.Millisecond).String()
	before := Cutoff(now, k.opts.Retention).Format(time.RFC3339)
	switch {
	case err != nil:
		log.Error("event retention pass failed; the next one tries again", "deleted", n, "error", err,
			"next", k.opts.Interval.String())
	case n > 0:
		log.Info("expired events deleted", "deleted", n, "before", before, "duration", took)
	case k.opts.Retention > 0:
		log.Debug("no event expired", "before", before, "duration", took)
	}
	if k.opts.Passed != nil {
		k.opts.Passed(n, err)
	}
}

// Pass prepares the coming days and, with a retention, deletes the events
// before Cutoff; it returns how many it deleted. A failure to prepare
// does not keep it from deleting.
func (k *Keeper) Pass(ctx context.Context) (int64, error) { return k.passAt(ctx, k.opts.Now()) }

func (k *Keeper) passAt(ctx context.Context, now time.Time) (int64, error) {
	errPrepare := k.opts.Store.PrepareEvents(ctx, now)
	if k.opts.Retention <= 0 {
		return 0, errPrepare
	}
	n, err := k.opts.Store.DeleteEventsBefore(ctx, Cutoff(now, k.opts.Retention))
	return n, errors.Join(errPrepare, err)
}
