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

// Hours is a range of whole hours: the events dated from From
// (inclusive) to To (exclusive). Both fall on the hour (UTC) and From is
// before To.
type Hours struct {
	From, To time.Time
}

// Check returns ErrInvalid, wrapped, unless h is a range of whole hours.
func (h Hours) Check() error {
	switch {
	case !onTheHour(h.From) || !onTheHour(h.To):
		return fmt.Errorf("hours %v to %v: not on the hour: %w", h.From, h.To, ErrInvalid)
	case !h.From.Before(h.To):
		return fmt.Errorf("hours %v to %v: an empty range: %w", h.From, h.To, ErrInvalid)
	}
	return nil
}

func onTheHour(t time.Time) bool { return t.Equal(t.Truncate(time.Hour)) }

// Day is a UTC day, the unit of the stores' daily counts.
const Day = 24 * time.Hour

// SplitDays cuts h at UTC midnights into the hours before its first
// whole day, its whole days and the hours after them, for stores that
// keep daily counts beside hourly ones (a week's hours are then two
// partial days and six days, not 168 hours). An empty part has From ==
// To: a range nothing is in. Without a whole day, all of h is head.
func (h Hours) SplitDays() (head, days, tail Hours) {
	first := h.From.Truncate(Day)
	if first.Before(h.From) {
		first = first.Add(Day)
	}
	last := h.To.Truncate(Day)
	if !first.Before(last) {
		return h, Hours{From: h.To, To: h.To}, Hours{From: h.To, To: h.To}
	}
	return Hours{From: h.From, To: first}, Hours{From: first, To: last}, Hours{From: last, To: h.To}
}

// HourCount is the number of events of one action dated in one hour.
type HourCount struct {
	// Hour is the hour's start, UTC.
	Hour   time.Time
	Action string
	Count  int64
}

// RuleCount is a rule's number of events.
type RuleCount struct {
	Rule  string
	Count int64
}

// NamespaceCount is a namespace's number of events.
type NamespaceCount struct {
	Cluster, Namespace string
	Count              int64
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

	// AppendEvents stores events, skipping any whose ID is already stored
	// (agents retry), and returns how many were new. Events must have IDs.
	AppendEvents(ctx context.Context, events []event.Event) (int, error)
	// ListEvents returns events matching f, newest first (by time, then
	// by arrival), paged by an opaque cursor.
	ListEvents(ctx context.Context, f EventFilter) (EventPage, error)

	// Counts of the trail over whole hours, for the console's overview.
	// They are exact: an event counts once however often it was appended.
	// A range that is not whole hours is ErrInvalid (see Hours).
	//
	// CountEventsByHour returns the number of events of each action in
	// each hour of h, by hour then action; hours and actions without an
	// event are left out.
	CountEventsByHour(ctx context.Context, h Hours) ([]HourCount, error)
	// TopRules returns the limit rules with the most events of action in
	// h, most first, ties by rule (byte order). A limit below 1 is
	// ErrInvalid.
	TopRules(ctx context.Context, action string, h Hours, limit int) ([]RuleCount, error)
	// TopNamespaces is TopRules for namespaces, each with its cluster;
	// events without a namespace (cluster-scoped objects) are left out.
	// Ties go by cluster, then namespace.
	TopNamespaces(ctx context.Context, action string, h Hours, limit int) ([]NamespaceCount, error)

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
