package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/palisade-dev/palisade/internal/console/store/backend"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// preload stores n events of the fleet's clusters, dated over the 30 days
// before now, through the console's store (what the console's ingest
// calls), so that queries run over a table of a realistic size. It
// reports progress on progress every 10%.
func preload(ctx context.Context, databaseURL string, clusters []string, shapes *eventShapes, n int, progress func(string)) error {
	st, err := backend.Open(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	const batch = 5000
	const workers = 2
	now := time.Now()
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := w * batch; start < n && ctx.Err() == nil; start += workers * batch {
				size := min(batch, n-start)
				evs := make([]event.Event, 0, size)
				for range size {
					cluster := clusters[rand.IntN(len(clusters))]
					e := shapes.events(cluster, 1)[0]
					e.ID, e.Cluster = event.NewID(), cluster
					e.Time = now.Add(-time.Duration(rand.Int64N(int64(30 * 24 * time.Hour))))
					evs = append(evs, e)
				}
				if _, err := st.AppendEvents(ctx, evs); err != nil {
					errs <- err
					return
				}
				total := done.Add(int64(size))
				if step := int64(max(n/10, 1)); total/step != (total-int64(size))/step {
					progress(fmt.Sprintf("preloaded %d of %d events", total, n))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	return ctx.Err()
}

// storedSince counts, per cluster, the events stored with a time at or
// after since, straight from the database: what the run's agents
// delivered (preloaded events are older). It also returns the number of
// events in the table.
func storedSince(ctx context.Context, databaseURL string, since time.Time) (map[string]int64, int64, error) {
	// A pool, as the console opens it, so that the URL's pool_ settings
	// are understood.
	conn, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, `SELECT cluster, count(*) FROM events WHERE ts >= $1 GROUP BY cluster`, since)
	if err != nil {
		return nil, 0, err
	}
	out := map[string]int64{}
	for rows.Next() {
		var c string
		var n int64
		if err := rows.Scan(&c, &n); err != nil {
			return nil, 0, err
		}
		out[c] = n
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var total int64
	err = conn.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&total)
	return out, total, err
}
