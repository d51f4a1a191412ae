package rules

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// FuzzSubjectPattern: an excludedSubjects entry either is refused with a
// message or parses into a pattern that matches the subject it names.
func FuzzSubjectPattern(f *testing.F) {
	for _, s := range []string{"User:alice", "Group:system:masters", "ServiceAccount:ci:deployer", "ServiceAccount:*:*",
		"User:*", "ServiceAccount:ci", "Pod:x", "", "User:", "User:a*b", "ServiceAccount:Bad_NS:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, msg := parseSubjectPattern(s)
		if msg != "" {
			if p != (subjectPattern{}) {
				t.Fatalf("%q refused (%s) but parsed into %+v", s, msg, p)
			}
			return
		}
		subject := rbacv1.Subject{Kind: p.kind, Name: strings.ReplaceAll(p.name, "*", "any"), Namespace: strings.ReplaceAll(p.namespace, "*", "any")}
		if !p.matches(newSubjectID(subject, "ns")) {
			t.Fatalf("%q parsed into %+v, which does not match %+v", s, p, subject)
		}
	})
}
