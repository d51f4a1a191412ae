package rules

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

// subjectID is a binding subject as Kubernetes authenticates it: a
// ServiceAccount that names no namespace is in its RoleBinding's, and the
// User system:serviceaccount:<namespace>:<name> is that ServiceAccount.
type subjectID struct {
	kind, namespace, name string
	// user is the User name a ServiceAccount was written as, if any.
	user string
}

const saUserPrefix = "system:serviceaccount:"

func newSubjectID(s rbacv1.Subject, bindingNS string) subjectID {
	id := subjectID{kind: s.Kind, name: s.Name}
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		id.namespace = s.Namespace
		if id.namespace == "" {
			id.namespace = bindingNS
		}
	case rbacv1.UserKind:
		rest, ok := strings.CutPrefix(s.Name, saUserPrefix)
		if ns, name, ok2 := strings.Cut(rest, ":"); ok && ok2 && ns != "" && name != "" && !strings.Contains(name, ":") {
			id = subjectID{kind: rbacv1.ServiceAccountKind, namespace: ns, name: name, user: s.Name}
		}
	}
	return id
}

// String is the subject as excludedSubjects entries write it.
func (id subjectID) String() string {
	if id.kind == rbacv1.ServiceAccountKind {
		return id.kind + ":" + id.namespace + ":" + id.name
	}
	return id.kind + ":" + id.name
}

// everyone are the system: names that stand for every user, every
// ServiceAccount or anyone at all: never system subjects.
var everyone = []string{"system:anonymous", "system:authenticated", "system:unauthenticated", "system:serviceaccounts"}

// isSystem reports whether Kubernetes or Palisade itself is the subject:
// Users and Groups named system:*, ServiceAccounts of the system
// namespaces, and those namespaces' ServiceAccount groups.
func (id subjectID) isSystem() bool {
	switch id.kind {
	case rbacv1.ServiceAccountKind:
		return policy.IsSystemNamespace(id.namespace)
	case rbacv1.UserKind, rbacv1.GroupKind:
		rest, ok := strings.CutPrefix(id.name, "system:")
		if !ok || slices.Contains(everyone, id.name) {
			return false
		}
		if ns, ok := strings.CutPrefix(rest, "serviceaccounts:"); ok && id.kind == rbacv1.GroupKind {
			return policy.IsSystemNamespace(ns)
		}
		return true
	}
	return false
}

// subjectPattern is one excludedSubjects entry; "*" matches any name or
// namespace.
type subjectPattern struct{ kind, namespace, name string }

const subjectFormat = `must be User:<name>, Group:<name> or ServiceAccount:<namespace>:<name>, "*" standing for any name or namespace`

// parseSubjectPattern reads an excludedSubjects entry; the message says
// what is wrong with it ("" when it is valid).
func parseSubjectPattern(s string) (subjectPattern, string) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return subjectPattern{}, subjectFormat
	}
	switch kind {
	case rbacv1.UserKind, rbacv1.GroupKind:
		if rest != "*" && strings.Contains(rest, "*") {
			return subjectPattern{}, `"*" must stand alone for the whole name`
		}
		return subjectPattern{kind: kind, name: rest}, ""
	case rbacv1.ServiceAccountKind:
		ns, name, ok := strings.Cut(rest, ":")
		if !ok || ns == "" || name == "" {
			return subjectPattern{}, "must be ServiceAccount:<namespace>:<name>"
		}
		if ns != "*" {
			if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
				return subjectPattern{}, fmt.Sprintf("namespace %q: %s", ns, strings.Join(msgs, "; "))
			}
		}
		if name != "*" {
			if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
				return subjectPattern{}, fmt.Sprintf("ServiceAccount name %q: %s", name, strings.Join(msgs, "; "))
			}
		}
		return subjectPattern{kind: kind, namespace: ns, name: name}, ""
	}
	return subjectPattern{}, subjectFormat
}

func (p subjectPattern) matches(id subjectID) bool {
	if p.kind == rbacv1.UserKind && id.user != "" {
		return p.name == "*" || p.name == id.user
	}
	return p.kind == id.kind && (p.name == "*" || p.name == id.name) &&
		(p.kind != rbacv1.ServiceAccountKind || p.namespace == "*" || p.namespace == id.namespace)
}

// validateSubjectPatterns checks excludedSubjects entries: each must parse,
// and none may repeat.
func validateSubjectPatterns(entries []string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, s := range entries {
		if _, msg := parseSubjectPattern(s); msg != "" {
			errs = append(errs, field.Invalid(path.Index(i), s, msg))
			continue
		}
		if seen[s] {
			errs = append(errs, field.Duplicate(path.Index(i), s))
		}
		seen[s] = true
	}
	return errs
}

// subjectFilter skips the binding subjects a rule does not judge.
type subjectFilter struct {
	excluded      []subjectPattern
	includeSystem bool
}

func newSubjectFilter(entries []string, includeSystem bool) (subjectFilter, error) {
	f := subjectFilter{includeSystem: includeSystem}
	for _, s := range entries {
		p, msg := parseSubjectPattern(s)
		if msg != "" {
			return f, fmt.Errorf("excluded subject %q: %s", s, msg)
		}
		f.excluded = append(f.excluded, p)
	}
	return f, nil
}

func (f subjectFilter) skips(id subjectID) bool {
	if !f.includeSystem && id.isSystem() {
		return true
	}
	return slices.ContainsFunc(f.excluded, func(p subjectPattern) bool { return p.matches(id) })
}

// keptSubject is a subject a rule judges, with its index in the binding.
type keptSubject struct {
	index int
	id    subjectID
}

// keep returns the subjects of b the filter does not skip.
func (f subjectFilter) keep(b *rbacBinding) []keptSubject {
	var out []keptSubject
	for i, s := range b.subjects {
		if id := newSubjectID(s, b.namespace); !f.skips(id) {
			out = append(out, keptSubject{i, id})
		}
	}
	return out
}

// subjectList names subjects for messages: "User:alice, Group:dev and 2 more".
func subjectList(ks []keptSubject) string {
	names := make([]string, 0, min(len(ks), shownFindings))
	for _, k := range ks[:min(len(ks), shownFindings)] {
		names = append(names, k.id.String())
	}
	return listMore(names, len(ks))
}
