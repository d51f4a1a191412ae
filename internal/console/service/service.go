package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
)

// Options configure a Service.
type Options struct {
	Store    store.Store
	Registry *rules.Registry
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// EventTimeWindow bounds an ingested event's time to the console's
	// clock ± the window (DefaultEventTimeWindow when zero): an event dated
	// outside it is stored at its receive time, its own time kept as
	// AgentTime, so that neither a wrong clock nor a made-up date can put
	// it on top of the trail for ever, or out of sight at the bottom.
	EventTimeWindow time.Duration
	// TokenOverlap is how long an agent token keeps working after it is
	// rotated, unless the rotation says otherwise (DefaultTokenOverlap
	// when zero).
	TokenOverlap time.Duration
	// Logger receives what the service cannot return or fail a request
	// for: an audit entry it could not write, a broadcast to other
	// replicas that did not go out; discarded when nil.
	Logger *slog.Logger
}

// DefaultEventTimeWindow is how far from the console's clock an agent's
// event may be dated and keep its time.
const DefaultEventTimeWindow = 24 * time.Hour

// Service implements the console's use cases.
type Service struct {
	store  store.Store
	reg    *rules.Registry
	now    func() time.Time
	window time.Duration
	// overlap is the default TokenOverlap.
	overlap time.Duration
	log     *slog.Logger
	notify  *notifier
	// policies caches what agents pull; policyReads joins the polls that
	// miss it at once.
	policies    *policyCache
	policyReads singleflight.Group
	// seen writes the agents' calls (last seen) in batches.
	seen *seenWriter
	// id names this process in its broadcasts to other console processes.
	id string
	// listening is closed when Listen first connected.
	listening  chan struct{}
	listenOnce sync.Once

	// scans is the scan-result index, a mirror of the store's scan images;
	// scanMu serialises its changes (imports, loading).
	scans  atomic.Pointer[scanresult.Index]
	scanMu sync.Mutex

	closing   chan struct{}
	closeOnce sync.Once
}

// New returns a Service. Its scan-result index is empty until
// LoadScanResults fills it from the store.
func New(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.EventTimeWindow <= 0 {
		opts.EventTimeWindow = DefaultEventTimeWindow
	}
	if opts.TokenOverlap <= 0 {
		opts.TokenOverlap = DefaultTokenOverlap
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: opts.Store, reg: opts.Registry, now: opts.Now, window: opts.EventTimeWindow,
		overlap: opts.TokenOverlap, log: opts.Logger, notify: newNotifier(), policies: newPolicyCache(), seen: newSeenWriter(opts.Store), id: rand.Text(), listening: make(chan struct{}),
		closing: make(chan struct{})}
	s.scans.Store(scanresult.NewIndex())
	return s
}

// Shutdown ends every long poll now (each answers "unchanged") and makes
// later ones return at once: the console is stopping.
func (s *Service) Shutdown() {
	s.closeOnce.Do(func() { close(s.closing) })
}

// InvalidError is a document that does not validate; the REST API answers
// it with 422 and every problem.
type InvalidError struct {
	Problems []policy.Problem
	// Err is set for problems without a field (unreadable input).
	Err error
}

func (e *InvalidError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return (&policy.ValidationError{Problems: e.Problems}).Error()
}

// parse validates body (YAML or JSON) holding exactly one document of kind
// and returns its name and canonical JSON.
func (s *Service) parse(body []byte, kind string) (string, []byte, error) {
	b, err := policy.Load("request body", body, s.reg)
	if err != nil {
		var ve *policy.ValidationError
		if errors.As(err, &ve) {
			return "", nil, &InvalidError{Problems: ve.Problems}
		}
		return "", nil, &InvalidError{Err: err}
	}
	switch {
	case kind == policy.KindPolicy && len(b.Policies) == 1 && len(b.Rulesets) == 0:
		j, err := json.Marshal(b.Policies[0])
		return b.Policies[0].Metadata.Name, j, err
	case kind == policy.KindRuntimeRuleset && len(b.Rulesets) == 1 && len(b.Policies) == 0:
		rs := b.Rulesets[0]
		if _, diags := ruleset.Compile(rs); diags.HasErrors() {
			// The Falco items themselves: every error, named by its item.
			var problems []policy.Problem
			for _, d := range diags.Errors() {
				problems = append(problems, policy.Problem{Source: "request body",
					Err: field.Invalid(field.NewPath("spec", "falcoRules"), d.Item, d.Code+": "+d.Message)})
			}
			return "", nil, &InvalidError{Problems: problems}
		}
		j, err := json.Marshal(rs)
		return rs.Metadata.Name, j, err
	}
	return "", nil, &InvalidError{Err: fmt.Errorf("the body must hold exactly one %s document", kind)}
}

// CreatePolicy validates and stores a new policy.
func (s *Service) CreatePolicy(ctx context.Context, body []byte) (store.Document, error) {
	name, j, err := s.parse(body, policy.KindPolicy)
	if err != nil {
		return store.Document{}, err
	}
	d, err := s.store.CreatePolicy(ctx, name, j)
	if err != nil {
		return store.Document{}, err
	}
	s.audit(ctx, AuditPolicyCreate, d.Name, documentDiff(store.Document{}, d))
	return d, nil
}

// UpdatePolicy validates and replaces policy name; version 0 updates
// unconditionally. Agents of clusters assigned the policy are woken.
func (s *Service) UpdatePolicy(ctx context.Context, name string, body []byte, version int64) (store.Document, error) {
	got, j, err := s.parse(body, policy.KindPolicy)
	if err != nil {
		return store.Document{}, err
	}
	if got != name {
		return store.Document{}, &InvalidError{Err: fmt.Errorf("metadata.name %q does not match the policy %q in the path", got, name)}
	}
	old, d, err := s.replace(ctx, s.store.GetPolicy, s.store.UpdatePolicy, name, j, version)
	if err != nil {
		return store.Document{}, err
	}
	s.changed(ctx, "")
	s.audit(ctx, AuditPolicyUpdate, name, documentDiff(old, d))
	return d, nil
}

// DeletePolicy deletes policy name; it fails with store.ErrInUse while a
// cluster is assigned it.
func (s *Service) DeletePolicy(ctx context.Context, name string) error {
	old, err := s.store.GetPolicy(ctx, name)
	if err != nil {
		return err
	}
	if err := s.store.DeletePolicy(ctx, name); err != nil {
		return err
	}
	// No cluster is assigned it, but every replica forgets it: a policy
	// created again under its name must not be served from before.
	s.changed(ctx, "")
	s.audit(ctx, AuditPolicyDelete, name, documentDiff(old, store.Document{}))
	return nil
}

// CreateRuleset validates and stores a new runtime ruleset.
func (s *Service) CreateRuleset(ctx context.Context, body []byte) (store.Document, error) {
	name, j, err := s.parse(body, policy.KindRuntimeRuleset)
	if err != nil {
		return store.Document{}, err
	}
	d, err := s.store.CreateRuleset(ctx, name, j)
	if err != nil {
		return store.Document{}, err
	}
	s.changed(ctx, "") // a policy may bind it already
	s.audit(ctx, AuditRulesetCreate, d.Name, documentDiff(store.Document{}, d))
	return d, nil
}

// UpdateRuleset validates and replaces ruleset name.
func (s *Service) UpdateRuleset(ctx context.Context, name string, body []byte, version int64) (store.Document, error) {
	got, j, err := s.parse(body, policy.KindRuntimeRuleset)
	if err != nil {
		return store.Document{}, err
	}
	if got != name {
		return store.Document{}, &InvalidError{Err: fmt.Errorf("metadata.name %q does not match the ruleset %q in the path", got, name)}
	}
	old, d, err := s.replace(ctx, s.store.GetRuleset, s.store.UpdateRuleset, name, j, version)
	if err != nil {
		return store.Document{}, err
	}
	s.changed(ctx, "")
	s.audit(ctx, AuditRulesetUpdate, name, documentDiff(old, d))
	return d, nil
}

// DeleteRuleset deletes ruleset name. Agents are woken: a policy that
// binds it now binds one of their built-in rulesets, or none.
func (s *Service) DeleteRuleset(ctx context.Context, name string) error {
	old, err := s.store.GetRuleset(ctx, name)
	if err != nil {
		return err
	}
	if err := s.store.DeleteRuleset(ctx, name); err != nil {
		return err
	}
	s.changed(ctx, "")
	s.audit(ctx, AuditRulesetDelete, name, documentDiff(old, store.Document{}))
	return nil
}

// replaceAttempts bounds how often an unconditional update is retried when
// another update comes between reading the document and replacing it.
const replaceAttempts = 5

// replace updates a stored document and returns the version it replaced
// with the new one, so that the audit log's diff is exactly between them:
// the update is made conditional on the version read (version 0, an
// unconditional update, is retried when another update came in between).
func (s *Service) replace(ctx context.Context,
	get func(ctx context.Context, name string) (store.Document, error),
	update func(ctx context.Context, name string, body []byte, version int64) (store.Document, error),
	name string, body []byte, version int64,
) (old, updated store.Document, err error) {
	for attempt := 1; ; attempt++ {
		if old, err = get(ctx, name); err != nil {
			return store.Document{}, store.Document{}, err
		}
		want := version
		if want == 0 {
			want = old.Version
		}
		updated, err = update(ctx, name, body, want)
		if errors.Is(err, store.ErrConflict) && version == 0 && attempt < replaceAttempts {
			continue
		}
		return old, updated, err
	}
}

// RegisterCluster creates a cluster and returns its agent token, which is
// shown once: only its hash is kept.
func (s *Service) RegisterCluster(ctx context.Context, name string) (store.Cluster, string, error) {
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		return store.Cluster{}, "", &InvalidError{Err: fmt.Errorf("cluster name %q: %s", name, msgs[0])}
	}
	token, err := NewToken()
	if err != nil {
		return store.Cluster{}, "", err
	}
	c, err := s.store.CreateCluster(ctx, store.Cluster{Name: name, TokenHash: HashToken(token), CreatedAt: s.now().UTC()})
	if err != nil {
		return store.Cluster{}, "", err
	}
	s.audit(ctx, AuditClusterCreate, name, "")
	s.audit(ctx, AuditTokenIssue, name, "agent token issued at registration")
	return c, token, nil
}

// AssignPolicy assigns policy ("" to clear) to a cluster and wakes its
// agent.
func (s *Service) AssignPolicy(ctx context.Context, cluster, policyName string) (store.Cluster, error) {
	c, err := s.store.AssignPolicy(ctx, cluster, policyName)
	if err != nil {
		return store.Cluster{}, err
	}
	s.changed(ctx, cluster)
	detail := fmt.Sprintf("policy %q assigned", policyName)
	if policyName == "" {
		detail = "assignment cleared: no policy"
	}
	s.audit(ctx, AuditClusterAssign, cluster, detail)
	return c, nil
}

// DeleteCluster removes a cluster; its tokens stop working at once.
func (s *Service) DeleteCluster(ctx context.Context, name string) error {
	if err := s.store.DeleteCluster(ctx, name); err != nil {
		return err
	}
	s.changed(ctx, name)
	s.audit(ctx, AuditClusterDelete, name, "")
	return nil
}

// Store gives read access to what the service keeps.
func (s *Service) Store() store.Store { return s.store }

// NewToken returns a random bearer token (256 bits).
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashToken is what is stored of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// IngestEvents stores events an agent pushed, stamped with the agent's own
// cluster whatever they claim (a token cannot write another cluster's
// trail; caller is the agent's word, one of its two values), their time bounded to the event time window (see
// Options.EventTimeWindow). Events without an ID are refused: IDs make
// retries idempotent.
func (s *Service) IngestEvents(ctx context.Context, cluster string, evs []event.Event) (int, error) {
	now := s.now().UTC()
	for i := range evs {
		if evs[i].ID == "" {
			return 0, &InvalidError{Err: fmt.Errorf("events[%d]: id is required", i)}
		}
		switch evs[i].Caller {
		case "", event.CallerAuthenticated, event.CallerUnauthenticated:
		default:
			return 0, &InvalidError{Err: fmt.Errorf("events[%d].caller: %q is not %q or %q", i, evs[i].Caller,
				event.CallerAuthenticated, event.CallerUnauthenticated)}
		}
		evs[i].Cluster = cluster
		s.boundTime(&evs[i], now)
		sanitize(&evs[i])
	}
	return s.store.AppendEvents(ctx, evs)
}

// boundTime gives an event dated outside the window around now the time
// now, keeping its own as AgentTime. AgentTime is the console's to set:
// whatever an agent sent in it is dropped.
func (s *Service) boundTime(e *event.Event, now time.Time) {
	e.AgentTime = time.Time{}
	// Sub saturates, so dates centuries away compare as far as they are.
	if d := e.Time.Sub(now); d > s.window || d < -s.window {
		e.AgentTime, e.Time = e.Time, now
	}
}

// sanitize replaces NUL characters, which PostgreSQL text refuses (and
// SQLite would keep), in every text field of an event: a message can quote
// an image reference or a name as the user wrote it.
func sanitize(e *event.Event) {
	for _, f := range []*string{&e.ID, &e.Namespace, &e.Kind, &e.Name, &e.Container, &e.Tab, &e.Rule,
		&e.Action, &e.Policy, &e.User, &e.Message, &e.Operation, &e.Caller} {
		if strings.IndexByte(*f, 0) >= 0 {
			*f = strings.ReplaceAll(*f, "\x00", "\uFFFD")
		}
	}
}
