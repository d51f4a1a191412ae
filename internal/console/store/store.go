package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// ErrBusy: the store has more writes waiting than it takes; the
	// caller should retry later (the API answers 503 with Retry-After).
	ErrBusy = errors.New("busy: too much is waiting to be written; retry later")
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

// AgentSeen is one agent call for SeeAgents.
type AgentSeen struct {
	Cluster string
	At      time.Time
	// AgentPolicy is the policy version the agent said it enforces (""
	// for none).
	AgentPolicy string
}

// LatestSeen returns seen with one call per cluster, its latest, in
// cluster name order: the order stores lock the rows in, so that two
// replicas' writes cannot deadlock.
func LatestSeen(seen []AgentSeen) []AgentSeen {
	latest := make(map[string]AgentSeen, len(seen))
	for _, a := range seen {
		if b, ok := latest[a.Cluster]; !ok || a.At.After(b.At) {
			latest[a.Cluster] = a
		}
	}
	out := make([]AgentSeen, 0, len(latest))
	for _, a := range latest {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b AgentSeen) int { return strings.Compare(a.Cluster, b.Cluster) })
	return out
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
	// PrevTokenHash is the SHA-256 of the token the cluster had before its
	// token was last rotated (nil: none kept). It is still found by
	// ClusterByTokenHash; whether it still works is the caller's to decide
	// from PrevTokenExpires, when its overlap window ends.
	PrevTokenHash    []byte
	PrevTokenExpires time.Time
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

// Page sizes for ListEvents and ListAudit.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// PageLimit is the size of a page asked for with limit n: DefaultPageSize
// for 0 (or less), at most MaxPageSize.
func PageLimit(n int) int {
	if n <= 0 {
		return DefaultPageSize
	}
	return min(n, MaxPageSize)
}

// EventPage is one page of events, newest first.
type EventPage struct {
	Events []event.Event
	// Next is the cursor of the following page, "" on the last page.
	Next string
}

// AuditEntry is one change made through the console, or a login: who,
// when, from where, what and to what.
type AuditEntry struct {
	// ID is given by the store; it grows with every entry.
	ID   int64
	Time time.Time
	// Actor is who did it: "ui:admin", "token:admin", "agent:prod", or
	// "anonymous" for a failed login.
	Actor string
	// Remote is the client address the request came from.
	Remote string
	// Action is what was done: "policy.update", "cluster.assign",
	// "login.failed", ...
	Action string
	// Target names what it was done to: a policy, ruleset or cluster name,
	// the role of a login.
	Target string
	// Detail says more: a document's diff, a token's overlap window.
	Detail string
}

// Stamped returns e as a store keeps it: refused (ErrInvalid) without an
// action, dated now when undated, in UTC to the microsecond.
func (e AuditEntry) Stamped() (AuditEntry, error) {
	if e.Action == "" {
		return AuditEntry{}, fmt.Errorf("append audit entry: no action: %w", ErrInvalid)
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	return e, nil
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	Action string
	Target string
	// Limit bounds a page (capped at MaxPageSize; 0 means DefaultPageSize).
	Limit int
	// Cursor continues from a previous page's Next.
	Cursor string
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries []AuditEntry
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

// Session is a logged-in browser of the console's UI.
type Session struct {
	// IDHash is the SHA-256 of the session ID (the cookie's value); the ID
	// itself is never stored.
	IDHash []byte
	// Role is "admin" or "viewer".
	Role string
	// CSRF is the token the session's forms carry.
	CSRF    string
	Expires time.Time
	// Subject and User say who logged in through single sign-on: the
	// identity provider's subject (sub) and a name to show (an email
	// address, else a username). Both are empty for a token login.
	Subject string
	User    string
}

// OIDCLogin is a single sign-on login sent to the identity provider and
// not yet back.
type OIDCLogin struct {
	// StateHash is the SHA-256 of the login's state parameter; the state
	// itself is never stored.
	StateHash []byte
	// Verifier is the PKCE code verifier the code is exchanged with.
	Verifier string
	// Nonce is the nonce the ID token must carry.
	Nonce string
	// Next is the console path to go to once logged in.
	Next    string
	Expires time.Time
}

// Broadcaster is a store that tells every console process on it about a
// change (PostgreSQL's LISTEN/NOTIFY): a policy saved on one replica wakes
// the agents long-polling another. A store that only one process opens
// (SQLite) is not one.
type Broadcaster interface {
	// Broadcast sends topic to every process listening, this one too.
	Broadcast(ctx context.Context, topic string) error
	// Listen hands h each topic broadcast until ctx ends, from one
	// goroutine, and returns ctx's error. It reconnects when its
	// connection drops and calls h.Resync after every (re)connection:
	// broadcasts sent while it was not connected are lost, so h must
	// catch up by other means.
	Listen(ctx context.Context, h Listener) error
}

// Listener receives a Broadcaster's topics.
type Listener interface {
	Notified(topic string)
	Resync()
	// ListenFailed reports a lost or failed connection (Listen retries).
	ListenFailed(err error)
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
	// ClusterByTokenHash finds the cluster whose token or previous token
	// has the hash, its current token first. It does not check
	// PrevTokenExpires: a caller compares hash with TokenHash and, when it
	// is the previous token, decides whether its window is still open.
	ClusterByTokenHash(ctx context.Context, hash []byte) (Cluster, error)
	ListClusters(ctx context.Context) ([]Cluster, error)
	AssignPolicy(ctx context.Context, cluster, policy string) (Cluster, error)
	// SeeAgents records agent calls in one write: each cluster's last
	// call and the policy version its agent said it enforces, unless the
	// cluster has a later call recorded already (console replicas write
	// out of order). Clusters that do not exist (deleted meanwhile) are
	// skipped; of two calls of one cluster the later counts.
	SeeAgents(ctx context.Context, seen []AgentSeen) error
	DeleteCluster(ctx context.Context, name string) error
	// RotateToken gives the cluster the token of the given hash and keeps
	// the one it had as its previous token until prevExpires (a zero
	// prevExpires keeps none); a previous token it kept before is
	// forgotten. It fails with ErrNotFound for an unknown cluster, with
	// ErrExists when hash is another cluster's token, and with ErrInvalid
	// for an empty hash.
	RotateToken(ctx context.Context, cluster string, hash []byte, prevExpires time.Time) (Cluster, error)

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

	// AppendAudit stores an audit entry and returns it with its ID (a zero
	// Time is set to now). An entry without an Action is ErrInvalid.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// ListAudit returns the entries matching f, newest first (by time,
	// then by arrival), paged by an opaque cursor as ListEvents.
	ListAudit(ctx context.Context, f AuditFilter) (AuditPage, error)

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

	// UI sessions, kept in the store so that every console process on it
	// knows a browser that logged in at any of them. CreateSession also
	// forgets the sessions expired at now; GetSession fails with
	// ErrNotFound for a session it does not have or that expired at now.
	CreateSession(ctx context.Context, s Session, now time.Time) error
	GetSession(ctx context.Context, idHash []byte, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, idHash []byte) error

	// Single sign-on logins under way, kept in the store so that a login
	// one console process sent to the identity provider can come back to
	// another. CreateOIDCLogin also forgets the logins expired at now.
	// TakeOIDCLogin deletes the login and returns it, so it is taken once:
	// ErrNotFound when the store does not have it (or no longer: taken
	// already, or expired at now).
	CreateOIDCLogin(ctx context.Context, l OIDCLogin, now time.Time) error
	TakeOIDCLogin(ctx context.Context, stateHash []byte, now time.Time) (OIDCLogin, error)

	// BeginLogin is the failed-login throttle, per client key, in one
	// atomic step: it counts a login about to be checked as a failure of
	// client at now and returns 0, or, when the client already has limit
	// failures in its window (from its first failure, window long),
	// returns how long until that window ends. A window that ended starts
	// again. Concurrent logins from one client are counted one by one, on
	// any console process. EndLogin takes back one attempt, for a login
	// that succeeded.
	BeginLogin(ctx context.Context, client string, now time.Time, window time.Duration, limit int) (time.Duration, error)
	EndLogin(ctx context.Context, client string) error

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

// LoginWait is what BeginLogin returns for a client whose count is n
// (capped at limit+1) in a window from start: 0 while n is within limit,
// else the rest of the window (at least a microsecond).
func LoginWait(n int, start, now time.Time, window time.Duration, limit int) time.Duration {
	if n <= limit {
		return 0
	}
	return max(start.Add(window).Sub(now), time.Microsecond)
}
