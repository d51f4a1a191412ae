package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/palisade-dev/palisade/internal/console/agentclient"
	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
	"github.com/palisade-dev/palisade/internal/platform/atomicfile"
	"github.com/palisade-dev/palisade/internal/platform/backoff"
)

// savedPolicyMax bounds policy.json: the console's answer is read up to
// 16 MiB (agentclient), its saved form is about as large.
const savedPolicyMax = 32 << 20

// savedPolicy is the last good policy from the console, kept on disk so
// that an agent restarted while the console is unreachable enforces at
// once.
type savedPolicy struct {
	ETag     string            `json:"etag"`
	Policy   json.RawMessage   `json:"policy"`
	Rulesets []json.RawMessage `json:"rulesets,omitempty"`
	SavedAt  time.Time         `json:"savedAt"`
}

// ManagedPolicy is the policy a console assigns to this agent's cluster:
// pulled with a long poll, compiled, swapped in atomically and saved to
// disk. A policy that does not compile here (a console newer than the
// agent, say) is rejected: the one in force keeps enforcing, and the
// console is told which version this agent enforces.
type ManagedPolicy struct {
	client   *agentclient.Client
	reg      *rules.Registry
	path     string
	wait     time.Duration
	logger   *slog.Logger
	onChange func(p *engine.Compiled, etag string, err error)

	current atomic.Pointer[engine.Compiled]
	// rulesets are the console's rulesets the policy binds, compiled.
	rulesets atomic.Pointer[[]*ruleset.Ruleset]

	mu        sync.Mutex
	decided   bool   // a policy (or "none assigned") is known
	enforcing string // the ETag in force
	latest    string // the newest ETag seen (enforced or rejected)
}

// ManagedOptions configure a ManagedPolicy.
type ManagedOptions struct {
	Client *agentclient.Client
	// StateDir holds policy.json, the last good policy.
	StateDir string
	// Wait is the long poll's length (30 s).
	Wait     time.Duration
	Logger   *slog.Logger
	OnChange func(p *engine.Compiled, etag string, err error)
}

// NewManagedPolicy loads the saved policy, when there is one, so that the
// agent enforces before it reaches the console. A saved file that cannot
// be read is reported and ignored: the console will send the policy again.
func NewManagedPolicy(reg *rules.Registry, opts ManagedOptions) (*ManagedPolicy, error) {
	if opts.Wait <= 0 {
		opts.Wait = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.OnChange == nil {
		opts.OnChange = func(*engine.Compiled, string, error) {}
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	m := &ManagedPolicy{client: opts.Client, reg: reg, path: filepath.Join(opts.StateDir, "policy.json"),
		wait: opts.Wait, logger: opts.Logger, onChange: opts.OnChange}
	b, err := document.ReadFile(m.path, savedPolicyMax)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		m.logger.Error("saved policy unreadable; waiting for the console", "file", m.path, "error", err)
	default:
		var sp savedPolicy
		if err := json.Unmarshal(b, &sp); err != nil {
			m.logger.Error("saved policy unreadable; waiting for the console", "file", m.path, "error", err)
			break
		}
		if err := m.apply(sp.ETag, sp.Policy, sp.Rulesets, false); err != nil {
			m.logger.Error("saved policy rejected; waiting for the console", "file", m.path, "error", err)
			break
		}
		m.logger.Info("enforcing the saved policy until the console answers", "version", sp.ETag, "saved_at", sp.SavedAt)
	}
	return m, nil
}

// Current returns the policy in force (nil: none assigned, allow all).
func (m *ManagedPolicy) Current() *engine.Compiled { return m.current.Load() }

// Ready reports an error until a policy decision is known, from the
// console or from disk.
func (m *ManagedPolicy) Ready() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.decided {
		return errors.New("no policy in force: the console has not answered, none is saved, or the console's policy was refused (see the log)")
	}
	return nil
}

// Version returns the ETag of the policy in force ("" before any).
func (m *ManagedPolicy) Version() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.enforcing
}

// Rulesets returns the console's rulesets in force (those the policy
// binds; the agent's built-in ones are not among them).
func (m *ManagedPolicy) Rulesets() []*ruleset.Ruleset {
	if p := m.rulesets.Load(); p != nil {
		return *p
	}
	return nil
}

// apply compiles and swaps in raw (JSON null: no policy assigned) with the
// rulesets it binds and, when save is set, writes them to disk. A ruleset
// that does not compile rejects the whole version.
func (m *ManagedPolicy) apply(etag string, raw json.RawMessage, rawRulesets []json.RawMessage, save bool) error {
	rulesets, err := compileRulesets(etag, rawRulesets)
	if err != nil {
		return err
	}
	var c *engine.Compiled
	if len(raw) > 0 && string(raw) != "null" {
		b, err := policy.Load("console policy "+etag, raw, m.reg)
		if err != nil {
			return err
		}
		if len(b.Policies) != 1 {
			return fmt.Errorf("console policy %s: expected one Policy document, found %d", etag, len(b.Policies))
		}
		if c, err = engine.Compile(b.Policies[0], m.reg); err != nil {
			return fmt.Errorf("console policy %s: %w", etag, err)
		}
	}
	if save {
		if err := savePolicy(m.path, savedPolicy{ETag: etag, Policy: raw, Rulesets: rawRulesets, SavedAt: time.Now().UTC()}); err != nil {
			// Enforce it anyway; only a restart without the console is
			// affected.
			m.logger.Error("could not save the policy to disk", "file", m.path, "error", err)
		}
	}
	m.rulesets.Store(&rulesets)
	m.current.Store(c)
	m.mu.Lock()
	m.decided, m.enforcing, m.latest = true, etag, etag
	m.mu.Unlock()
	m.onChange(c, etag, nil)
	return nil
}

// Run long-polls the console until ctx ends. While the console cannot be
// reached the policy in force keeps enforcing; retries back off from 1 s
// to 30 s.
func (m *ManagedPolicy) Run(ctx context.Context) {
	retry := backoff.Backoff{Min: time.Second, Max: 30 * time.Second}
	for ctx.Err() == nil {
		m.mu.Lock()
		latest, enforcing := m.latest, m.enforcing
		m.mu.Unlock()
		start := time.Now()
		p, changed, err := m.client.Policy(ctx, latest, enforcing, m.wait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			wait, failures, log := retry.Failed()
			if log {
				msg := "console unreachable; the policy in force keeps enforcing"
				var se *agentclient.StatusError
				if errors.As(err, &se) && (se.Code == 401 || se.Code == 403) {
					msg = "the console refused this agent's token (cluster deleted or token replaced?); the policy in force keeps enforcing"
				}
				m.logger.Warn(msg, "version", enforcing, "error", err, "failures", failures, "retry_in", wait.String())
			}
			if !backoff.Sleep(ctx, backoff.Jitter(wait)) {
				return
			}
			continue
		}
		if failures := retry.Succeeded(); failures > 0 {
			m.logger.Info("console reachable again", "after_failures", failures)
		}
		if !changed {
			// A long poll that ends early with nothing new (a proxy that
			// drops If-None-Match, a console shutting down) must not turn
			// into a busy loop.
			if time.Since(start) < time.Second && !backoff.Sleep(ctx, time.Second) {
				return
			}
			continue
		}
		if err := m.apply(p.ETag, p.Policy, p.Rulesets, true); err != nil {
			m.mu.Lock()
			m.latest = p.ETag
			m.mu.Unlock()
			m.logger.Error("policy from the console rejected; the previous policy keeps enforcing",
				"version", p.ETag, "enforcing", enforcing, "error", err)
			m.onChange(nil, p.ETag, err)
			continue
		}
		name := "(none assigned)"
		if c := m.Current(); c != nil {
			name = c.Policy.Metadata.Name
		}
		m.logger.Info("policy from the console in force", "policy", name, "version", p.ETag)
	}
}

// compileRulesets compiles the console's RuntimeRulesets.
func compileRulesets(etag string, raw []json.RawMessage) ([]*ruleset.Ruleset, error) {
	var out []*ruleset.Ruleset
	for i, r := range raw {
		b, err := policy.Load(fmt.Sprintf("console ruleset %s[%d]", etag, i), r, nil)
		if err != nil {
			return nil, err
		}
		if len(b.Rulesets) != 1 {
			return nil, fmt.Errorf("console ruleset %s[%d]: expected one RuntimeRuleset document", etag, i)
		}
		rs, diags := ruleset.Compile(b.Rulesets[0])
		if diags.HasErrors() {
			return nil, fmt.Errorf("console ruleset %s: %w", b.Rulesets[0].Metadata.Name, diags.Err())
		}
		out = append(out, rs)
	}
	return out, nil
}

// savePolicy writes sp to path so that a crash leaves the old file or the
// new one.
func savePolicy(path string, sp savedPolicy) error {
	b, err := json.Marshal(sp)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b)
}
