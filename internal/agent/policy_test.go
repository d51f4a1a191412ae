package agent

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

var policyYAML = fixture.PolicyYAML

// Files the policy file is replaced with.
var (
	unknownRule = "apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: broken}\nspec:\n" +
		"  clusterWide:\n    deployment: {rules: [{rule: noSuchRule, action: block}]}\n"
	badAction  = policyYAML("broken", "terminate") // not a deployment action
	notYAML    = "apiVersion: palisade.dev/v1\nkind: Policy\n  metadata: [\n"
	twoPolicy  = policyYAML("a", "block") + "---\n" + policyYAML("b", "log")
	emptyFile  = ""
	onlyOthers = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
)

// writeAtomic replaces path as a ConfigMap volume update does (write, then
// rename), so that a poll never reads half a file.
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// reloads records onReload calls: the policy's name, or "error".
type reloads struct {
	mu     sync.Mutex
	calls  []string
	hashes map[string]string
}

func (r *reloads) onReload(c *engine.Compiled, hash string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.calls = append(r.calls, "error")
		return
	}
	if r.hashes == nil {
		r.hashes = map[string]string{}
	}
	r.calls = append(r.calls, c.Policy.Metadata.Name)
	r.hashes[c.Policy.Metadata.Name] = hash
}

func (r *reloads) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func registry(t *testing.T) *rules.Registry {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestNewPolicyFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content *string
		wantErr bool
	}{
		{"valid", new(policyYAML("one", "block")), false},
		{"missing file", nil, true},
		{"unknown rule", &unknownRule, true},
		{"bad action", &badAction, true},
		{"not YAML", &notYAML, true},
		{"two policies", &twoPolicy, true},
		{"empty", &emptyFile, true},
		{"no policy document", &onlyOthers, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, string(rune('a'+i))+".yaml")
			if tt.content != nil {
				writeAtomic(t, path, *tt.content)
			}
			var rl reloads
			pf, err := NewPolicyFile(path, registry(t), nil, rl.onReload)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewPolicyFile succeeded (policy %q); want an error", pf.Current().Policy.Metadata.Name)
				}
				if len(rl.get()) != 0 {
					t.Errorf("onReload calls = %q; want none", rl.get())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := pf.Current().Policy.Metadata.Name; got != "one" {
				t.Errorf("Current() = %q; want one", got)
			}
			if diff := cmp.Diff([]string{"one"}, rl.get()); diff != "" {
				t.Errorf("onReload calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPolicyFileReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writeAtomic(t, path, policyYAML("one", "block"))
	var rl reloads
	pf, err := NewPolicyFile(path, registry(t), slog.New(slog.DiscardHandler), rl.onReload)
	if err != nil {
		t.Fatal(err)
	}
	first := pf.Current()

	steps := []struct {
		name        string
		content     string // "" keeps the file as it is
		remove      bool
		wantSwapped bool
		wantErr     bool
		wantCurrent string
	}{
		{name: "same content", wantCurrent: "one"},
		{name: "same content rewritten", content: policyYAML("one", "block"), wantCurrent: "one"},
		{name: "changed and valid", content: policyYAML("two", "log"), wantSwapped: true, wantCurrent: "two"},
		{name: "unknown rule", content: unknownRule, wantErr: true, wantCurrent: "two"},
		{name: "bad action", content: badAction, wantErr: true, wantCurrent: "two"},
		{name: "not YAML", content: notYAML, wantErr: true, wantCurrent: "two"},
		{name: "two policies", content: twoPolicy, wantErr: true, wantCurrent: "two"},
		{name: "file removed", remove: true, wantErr: true, wantCurrent: "two"},
		{name: "back to the policy in force", content: policyYAML("two", "log"), wantCurrent: "two"},
		{name: "same name, other rules", content: policyYAML("two", "block"), wantSwapped: true, wantCurrent: "two"},
		{name: "changed again", content: policyYAML("three", "block"), wantSwapped: true, wantCurrent: "three"},
	}
	for _, s := range steps {
		switch {
		case s.remove:
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		case s.content != "":
			writeAtomic(t, path, s.content)
		}
		before := pf.Current()
		swapped, err := pf.Reload()
		if (err != nil) != s.wantErr || swapped != s.wantSwapped {
			t.Errorf("%s: Reload() = %v, %v; want swapped %v, error %v", s.name, swapped, err, s.wantSwapped, s.wantErr)
		}
		if got := pf.Current().Policy.Metadata.Name; got != s.wantCurrent {
			t.Errorf("%s: Current() = %q; want %q", s.name, got, s.wantCurrent)
		}
		if !s.wantSwapped && pf.Current() != before {
			t.Errorf("%s: the policy was swapped", s.name)
		}
	}
	if pf.Current() == first {
		t.Error("the first policy is still in force")
	}
	// Reload reports rejections to its caller; onReload hears of swaps.
	if diff := cmp.Diff([]string{"one", "two", "two", "three"}, rl.get()); diff != "" {
		t.Errorf("onReload calls (-want +got):\n%s", diff)
	}
	if rl.hashes["one"] == "" || rl.hashes["one"] == rl.hashes["three"] {
		t.Errorf("content hashes %q: want distinct, non-empty", rl.hashes)
	}
}

func TestPolicyFileWatch(t *testing.T) {
	const interval = 10 * time.Millisecond
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writeAtomic(t, path, policyYAML("one", "block"))
	var rl reloads
	pf, err := NewPolicyFile(path, registry(t), slog.New(slog.DiscardHandler), rl.onReload)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pf.Watch(ctx, interval)
	}()
	poll := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s (onReload calls %q)", what, rl.get())
			}
			time.Sleep(interval)
		}
	}
	current := func() string { return pf.Current().Policy.Metadata.Name }
	count := func(call string) int {
		n := 0
		for _, c := range rl.get() {
			if c == call {
				n++
			}
		}
		return n
	}

	writeAtomic(t, path, policyYAML("two", "log"))
	poll("policy two", func() bool { return current() == "two" })

	writeAtomic(t, path, unknownRule)
	poll("the rejection", func() bool { return count("error") == 1 })
	if got := current(); got != "two" {
		t.Errorf("Current() after a bad file = %q; want two", got)
	}
	// Several more polls of the same bad file: reported once.
	time.Sleep(10 * interval)
	writeAtomic(t, path, policyYAML("three", "block"))
	poll("policy three", func() bool { return current() == "three" })
	if diff := cmp.Diff([]string{"one", "two", "error", "three"}, rl.get()); diff != "" {
		t.Errorf("onReload calls (-want +got):\n%s", diff)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return after ctx was cancelled")
	}
	// Stopped: a change is no longer picked up.
	writeAtomic(t, path, policyYAML("four", "block"))
	time.Sleep(5 * interval)
	if got := current(); got != "three" {
		t.Errorf("Current() after Watch stopped = %q; want three", got)
	}
}

// RuntimeRulesets written beside the policy are loaded with it; one whose
// Falco items do not compile rejects the file.
func TestPolicyFileRulesets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	doc := func(cond string) string {
		return `apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: rt}
spec:
  clusterWide:
    runtime: {rulesets: [{ruleset: guard, action: log}]}
---
apiVersion: palisade.dev/v1
kind: RuntimeRuleset
metadata: {name: guard}
spec:
  falcoRules:
    - rule: Exec
      desc: d
      condition: ` + cond + `
      output: o
      priority: INFO
      source: k8s_audit
`
	}
	if err := os.WriteFile(path, []byte(doc("ka.target.subresource=exec")), 0o600); err != nil {
		t.Fatal(err)
	}
	pf, err := NewPolicyFile(path, registry(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rs := pf.Rulesets(); len(rs) != 1 || rs[0].Name != "guard" || rs[0].Rules.Rule("Exec") == nil {
		t.Fatalf("rulesets %v", rs)
	}
	if err := os.WriteFile(path, []byte(doc("ka.target.subresource=exec and nope")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pf.Reload(); err == nil || !strings.Contains(err.Error(), "undefined macro 'nope'") {
		t.Errorf("reload with a bad ruleset: %v", err)
	}
	if rs := pf.Rulesets(); len(rs) != 1 || rs[0].Rules.Rule("Exec") == nil {
		t.Errorf("the rejected file replaced the rulesets in force: %v", rs)
	}
}

// A policy file over the limit (100 MB here, sparse) is refused after
// reading the limit, with an error naming the file and the limit.
func TestPolicyFileOverTheLimitIsRefusedUnread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = NewPolicyFile(path, registry(t), nil, nil)
	if !errors.Is(err, document.ErrTooLarge) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "16 MiB") {
		t.Errorf("NewPolicyFile(100 MB) = %v, want a too-large error naming the file and 16 MiB", err)
	}
	// So is a file without end.
	if _, err := NewPolicyFile("/dev/zero", registry(t), nil, nil); !errors.Is(err, document.ErrTooLarge) {
		t.Errorf("NewPolicyFile(/dev/zero) = %v, want a too-large error", err)
	}
}
