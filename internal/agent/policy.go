package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
)

// PolicyFile holds the policy compiled from a file and swaps in a new one
// when the file changes. A file that does not load or validate is rejected
// with a logged error, and the policy in force keeps enforcing.
type PolicyFile struct {
	path     string
	reg      *rules.Registry
	logger   *slog.Logger
	onReload func(p *engine.Compiled, hash string, err error)

	current  atomic.Pointer[engine.Compiled]
	rulesets atomic.Pointer[[]*ruleset.Ruleset]
	data     []byte
}

// NewPolicyFile loads path once; it fails when that first load fails.
func NewPolicyFile(path string, reg *rules.Registry, logger *slog.Logger, onReload func(*engine.Compiled, string, error)) (*PolicyFile, error) {
	if onReload == nil {
		onReload = func(*engine.Compiled, string, error) {}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pf := &PolicyFile{path: path, reg: reg, logger: logger, onReload: onReload}
	if _, err := pf.Reload(); err != nil {
		return nil, err
	}
	return pf, nil
}

// Current returns the policy in force.
func (pf *PolicyFile) Current() *engine.Compiled { return pf.current.Load() }

// Rulesets returns the RuntimeRulesets of the policy file in force.
func (pf *PolicyFile) Rulesets() []*ruleset.Ruleset {
	if p := pf.rulesets.Load(); p != nil {
		return *p
	}
	return nil
}

// Reload reads the file and, when its content changed and is valid, swaps
// the policy in. It reports whether a new policy was swapped in.
func (pf *PolicyFile) Reload() (bool, error) {
	data, err := document.ReadFile(pf.path, policy.MaxFileSize)
	if err != nil {
		return false, fmt.Errorf("read policy: %w", err)
	}
	if pf.current.Load() != nil && bytes.Equal(data, pf.data) {
		return false, nil
	}
	b, err := policy.Load(pf.path, data, pf.reg)
	if err != nil {
		return false, err
	}
	if len(b.Policies) != 1 {
		return false, fmt.Errorf("%s: expected exactly one Policy document, found %d", pf.path, len(b.Policies))
	}
	c, err := engine.Compile(b.Policies[0], pf.reg)
	if err != nil {
		return false, fmt.Errorf("%s: %w", pf.path, err)
	}
	// RuntimeRulesets written beside the policy come with it.
	var rulesets []*ruleset.Ruleset
	for _, doc := range b.Rulesets {
		rs, diags := ruleset.Compile(doc)
		if diags.HasErrors() {
			return false, fmt.Errorf("%s: runtime ruleset %s: %w", pf.path, doc.Metadata.Name, diags.Err())
		}
		rulesets = append(rulesets, rs)
	}
	pf.data = data
	pf.rulesets.Store(&rulesets)
	pf.current.Store(c)
	sum := sha256.Sum256(data)
	pf.onReload(c, hex.EncodeToString(sum[:8]), nil)
	return true, nil
}

// Watch polls the file every interval until ctx ends. Polling (rather than
// inotify) follows the symlink swaps Kubernetes uses for ConfigMap volumes.
// A rejected file is logged and reported to onReload once, not at every
// poll: again only when the error changes or a good file came between.
func (pf *PolicyFile) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	reported := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			swapped, err := pf.Reload()
			if err == nil {
				reported = ""
			}
			switch {
			case err != nil && err.Error() == reported:
			case err != nil:
				reported = err.Error()
				pf.logger.Error("policy file rejected; the previous policy keeps enforcing", "file", pf.path, "error", err)
				pf.onReload(nil, "", err)
			case swapped:
				pf.logger.Info("policy reloaded", "file", pf.path, "policy", pf.Current().Policy.Metadata.Name)
			}
		}
	}
}

// Ready reports an error until a policy is loaded.
func (pf *PolicyFile) Ready() error {
	if pf.Current() == nil {
		return errors.New("no policy loaded")
	}
	return nil
}
