package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// Sentinel errors; test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrConflict: an update was based on a version that is no longer current.
	ErrConflict = errors.New("version conflict")
	// ErrInUse: a policy assigned to a cluster cannot be deleted.
	ErrInUse = errors.New("in use")
	// ErrInvalid: an argument the store cannot use, such as a cursor it
	// did not issue or an event without an ID.
	ErrInvalid = errors.New("invalid argument")
)

// Document is a named, versioned JSON document: a Policy or a
// RuntimeRuleset.
type Document struct {
	Name string
	// Body is the document as JSON.
	Body []byte
	// Version starts at 1 and grows by one with every update.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Cluster is a registered cluster.
type Cluster struct {
	Name string
	// Policy is the name of the assigned policy ("" for none).
	Policy string
	// TokenHash is the SHA-256 of the agent's token; the token itself is
	// never stored.
	TokenHash []byte
	CreatedAt time.Time
	// LastSeen is when its agent last called (zero: never).
	LastSeen time.Time
	// AgentPolicy is the policy version the agent reports enforcing
	// (its ETag), "" before the first report.
	AgentPolicy string
}

// EventFilter selects events; zero fields match everything.
type EventFilter struct {
	Cluster   string
	Namespace string
	Rule      string
	Action    string
	// Since keeps events whose Time is at or after it.
	Since time.Time
	// Limit bounds a page (the store caps it at MaxPageSize; 0 means
	// DefaultPageSize).
	Limit int
	// Cursor continues from a previous page's Next.
	Cursor string
}

// Page sizes for ListEvents.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// EventPage is one page of events, newest first.
type EventPage struct {
	Events []event.Event
	// Next is the cursor of the following page, "" on the last page.
	Next string
}

// ScanImage is one image's scan results as the console keeps them: the
// console's scan-result index, mirrored row by row.
type ScanImage struct {
	// Key identifies the image (scanresult.Image.Key).
	Key string
	// Body is the image's results as JSON (a scanresult.Image).
	Body []byte
	// UpdatedAt is when the row was last written.
	UpdatedAt time.Time
}

// Store is everything the console keeps.
type Store interface {
	// Policies and rulesets. Create fails with ErrExists; Update and
	// Delete with ErrNotFound; Update with ErrConflict when version (if
	// not 0) is not the current one. DeletePolicy fails with ErrInUse
	// while a cluster is assigned the policy.
	CreatePolicy(ctx context.Context, name string, body []byte) (Document, error)
	UpdatePolicy(ctx context.Context, name string, body []byte, version int64) (Document, error)
	GetPolicy(ctx context.Context, name string) (Document, error)
	ListPolicies(ctx context.Context) ([]Document, error)
	DeletePolicy(ctx context.Context, name string) error

	CreateRuleset(ctx context.Context, name string, body []byte) (Document, error)
	UpdateRuleset(ctx context.Context, name string, body []byte, version int64) (Document, error)
	GetRuleset(ctx context.Context, name string) (Document, error)
	ListRulesets(ctx context.Context) ([]Document, error)
	DeleteRuleset(ctx context.Context, name string) error

	// Clusters. CreateCluster fails with ErrExists; AssignPolicy with
	// ErrNotFound when the cluster or the policy does not exist ("" clears
	// the assignment).
	CreateCluster(ctx context.Context, c Cluster) (Cluster, error)
	GetCluster(ctx context.Context, name string) (Cluster, error)
	ClusterByTokenHash(ctx context.Context, hash []byte) (Cluster, error)
	ListClusters(ctx context.Context) ([]Cluster, error)
	AssignPolicy(ctx context.Context, cluster, policy string) (Cluster, error)
	// SeeAgent records that the cluster's agent called at t, enforcing the
	// given policy version.
	SeeAgent(ctx context.Context, cluster string, t time.Time, agentPolicy string) error
	DeleteCluster(ctx context.Context, name string) error

	// AppendEvents stores events, skipping those already stored, and
	// returns how many were new. Events must have IDs. An agent retries an
	// event as it was, ID and time, so an event is already stored when one
	// of the same ID and Time is; or, for an event whose time the console
	// rewrote (AgentTime set: its Time is when it arrived, which differs
	// from one retry to the next), one of the same ID at any time. An ID
	// given twice in a batch is stored once, the first copy. (SQLite skips
	// any ID already stored; PostgreSQL, whose trail is partitioned by
	// day, keys events on ID and time: see its AppendEvents.)
	AppendEvents(ctx context.Context, events []event.Event) (int, error)
	// ListEvents returns events matching f, newest first (by time, then
	// by arrival), paged by an opaque cursor.
	ListEvents(ctx context.Context, f EventFilter) (EventPage, error)
	// PrepareEvents readies the trail for the events of the days around
	// now: PostgreSQL creates the day partitions from the day before
	// now's to two days after it; SQLite has nothing to do. The console
	// calls it at start and hourly; events of a day not prepared are
	// stored all the same.
	PrepareEvents(ctx context.Context, now time.Time) error
	// DeleteEventsBefore deletes the events whose Time is before t (at
	// microsecond precision) and returns how many it deleted.
	DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error)

	// ReplaceScanImages deletes the scan images whose keys are in remove,
	// then writes those of add (inserting, or replacing the row of the
	// same key; a key given twice: the last wins), in one transaction: a
	// reader sees all of it or none. A key both removed and added is
	// written. A zero UpdatedAt is set to now. An empty key is ErrInvalid,
	// and then nothing changes.
	ReplaceScanImages(ctx context.Context, remove []string, add []ScanImage) error
	// ListScanImages returns every scan image, by key.
	ListScanImages(ctx context.Context) ([]ScanImage, error)

	// Schema reads the newest migration applied to the database, in one
	// short query: the console's readiness check. It fails when the
	// database cannot be reached (or the store is closed).
	Schema(ctx context.Context) (Schema, error)

	Close() error
}

// Schema is where a database's migrations stand.
type Schema struct {
	// Applied is the newest migration recorded in the database (0: none).
	Applied int
	// Want is the newest migration this binary has.
	Want int
}

// Current reports whether the database has exactly this binary's
// migrations: not behind (a migration is missing), not ahead (a newer
// binary migrated it).
func (s Schema) Current() bool { return s.Applied == s.Want }

// String says where the schema stands, for a readiness body or a log.
func (s Schema) String() string {
	switch {
	case s.Applied < s.Want:
		return fmt.Sprintf("database schema at migration %d, this binary needs %d: run `palisade console migrate`", s.Applied, s.Want)
	case s.Applied > s.Want:
		return fmt.Sprintf("database schema at migration %d is newer than this binary's %d: upgrade palisade", s.Applied, s.Want)
	}
	return fmt.Sprintf("database schema current (migration %d)", s.Applied)
}
