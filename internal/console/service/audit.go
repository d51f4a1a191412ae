package service

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/platform/linediff"
)

// Audit actions: what an audit entry says was done. Policy and ruleset
// entries carry a unified diff of the document as YAML.
const (
	AuditPolicyCreate      = "policy.create"
	AuditPolicyUpdate      = "policy.update"
	AuditPolicyDelete      = "policy.delete"
	AuditRulesetCreate     = "ruleset.create"
	AuditRulesetUpdate     = "ruleset.update"
	AuditRulesetDelete     = "ruleset.delete"
	AuditClusterCreate     = "cluster.create"
	AuditClusterDelete     = "cluster.delete"
	AuditClusterAssign     = "cluster.assign"
	AuditTokenIssue        = "token.issue"
	AuditTokenRotate       = "token.rotate"
	AuditScanResultsImport = "scan-results.import"
	AuditLogin             = "login"
	AuditLoginFailed       = "login.failed"
)

// How entries are written.
const (
	// auditDiffContext is the unchanged lines around each change of a diff.
	auditDiffContext = 3
	// AuditDetailLimit bounds an entry's detail (a large policy's diff):
	// longer ones are cut, ending in "…[truncated N bytes]".
	AuditDetailLimit = 64 << 10
	truncatedMax     = len("…[truncated 18446744073709551615 bytes]")
	// noDocument names the missing side of a creation's or deletion's diff.
	noDocument = "/dev/null"
)

// AuditActions lists every audit action, for filters.
func AuditActions() []string {
	return []string{AuditPolicyCreate, AuditPolicyUpdate, AuditPolicyDelete,
		AuditRulesetCreate, AuditRulesetUpdate, AuditRulesetDelete,
		AuditClusterCreate, AuditClusterDelete, AuditClusterAssign,
		AuditTokenIssue, AuditTokenRotate, AuditScanResultsImport, AuditLogin, AuditLoginFailed}
}

// audit records a change in the audit log, by the actor in ctx. It is
// called after the change is made: if the log cannot be written the change
// stands, and the entry goes to the console's log as an error instead.
func (s *Service) audit(ctx context.Context, action, target, detail string) {
	a := ActorFrom(ctx)
	e := store.AuditEntry{Time: s.now().UTC(), Actor: clean(a.Name), Remote: clean(a.Remote), Action: action,
		Target: clean(target), Detail: bound(clean(detail), AuditDetailLimit)}
	// The change is made: record it even if the request is cancelled now.
	if _, err := s.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("could not write the audit log", "action", e.Action, "target", e.Target, "actor", e.Actor,
			"remote", e.Remote, "error", err)
	}
}

// RecordLogin records a web login with role ("admin", "viewer") by the
// actor in ctx.
func (s *Service) RecordLogin(ctx context.Context, role string) {
	s.audit(ctx, AuditLogin, role, "")
}

// RecordFailedLogin records a refused web login from the actor's address.
// Nothing of what was typed is kept: not the token, not its length.
func (s *Service) RecordFailedLogin(ctx context.Context) {
	s.audit(ctx, AuditLoginFailed, "", "")
}

// documentDiff is the unified diff of a stored document (JSON) from old to
// new, both as YAML, so that a diff shows the lines that changed; a
// missing side (zero Version) is /dev/null.
func documentDiff(old, new store.Document) string {
	side := func(d store.Document) (string, string) {
		if d.Version == 0 {
			return noDocument, ""
		}
		y, err := yaml.JSONToYAML(d.Body)
		if err != nil {
			y = d.Body // stored by the service as JSON, so not expected
		}
		return fmt.Sprintf("%s (version %d)", d.Name, d.Version), string(y)
	}
	oldName, oldText := side(old)
	newName, newText := side(new)
	if d := linediff.Unified(oldName, newName, oldText, newText, auditDiffContext); d != "" {
		return d
	}
	return fmt.Sprintf("%s: saved unchanged as %s", oldName, newName)
}

// clean makes s storable as text by every store: NUL (which PostgreSQL
// text refuses) and invalid UTF-8 become U+FFFD.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

// bound cuts s to at most limit bytes, at a character boundary, ending in
// "…[truncated N bytes]".
func bound(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit - truncatedMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…[truncated %d bytes]", len(s)-cut)
}
