package rules

import "testing"

// TestRequiredLabels holds the cases of Gatekeeper's requiredlabels
// template, written from its semantics: every listed key must be present
// and, when allowedRegex is set, its value must match it (anywhere, unless
// anchored).
func TestRequiredLabels(t *testing.T) {
	const props = `{keys: [{key: owner, allowedRegex: "^[a-z]+\\.agilebank\\.demo$"}, {key: team}]}`
	ns := func(labels string) string {
		return `{apiVersion: v1, kind: Namespace, metadata: {name: ns1, labels: {` + labels + `}}}`
	}
	seed001Cases(t, "requiredLabels", []seed001Case{
		{name: "every key with a matching value", props: props,
			manifest: ns(`owner: me.agilebank.demo, team: payments`)},
		{name: "a missing key", props: props,
			manifest: ns(`owner: me.agilebank.demo`),
			want:     []Finding{{Where: "metadata", Value: "unset", Field: "metadata.labels[team]", Detail: "required"}}},
		{name: "a value the pattern does not match", props: props,
			manifest: ns(`owner: me.other.demo, team: payments`),
			want: []Finding{{Where: "metadata", Value: "me.other.demo", Field: "metadata.labels[owner]",
				Detail: `does not match the allowed pattern ^[a-z]+\.agilebank\.demo$`}}},
		{name: "no labels at all", props: props,
			manifest: `{apiVersion: v1, kind: Namespace, metadata: {name: ns1}}`,
			want: []Finding{
				{Where: "metadata", Value: "unset", Field: "metadata.labels[owner]", Detail: "required"},
				{Where: "metadata", Value: "unset", Field: "metadata.labels[team]", Detail: "required"},
			}},
		{name: "an unanchored pattern matches anywhere in the value, as in Gatekeeper",
			props:    `{keys: [{key: env, allowedRegex: "prod"}]}`,
			manifest: ns(`env: preprod`)},
		{name: "the object's own labels count, not its pod template's",
			props:    `{keys: [{key: team}]}`,
			manifest: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {metadata: {labels: {team: a}}, spec: {containers: [{name: c, image: nginx}]}}}}`,
			want:     []Finding{{Where: "metadata", Value: "unset", Field: "metadata.labels[team]", Detail: "required"}}},
		{name: "kinds limits the objects judged",
			props:    `{keys: [{key: team}], kinds: [Deployment]}`,
			manifest: ns(``)},
	})
}

// TestRequiredAnnotations holds the cases of Gatekeeper's
// requiredannotations template, which reads annotations as requiredlabels
// reads labels.
func TestRequiredAnnotations(t *testing.T) {
	const props = `{keys: [{key: a8r.io/owner}, {key: a8r.io/runbook, allowedRegex: "^https?://"}], kinds: [Service]}`
	svc := func(annotations string) string {
		return `{apiVersion: v1, kind: Service, metadata: {name: s, annotations: {` + annotations + `}}, spec: {ports: [{port: 80}]}}`
	}
	seed001Cases(t, "requiredAnnotations", []seed001Case{
		{name: "every annotation with a matching value", props: props,
			manifest: svc(`a8r.io/owner: "@team", a8r.io/runbook: "https://example.com/runbook"`)},
		{name: "a missing annotation", props: props,
			manifest: svc(`a8r.io/runbook: "https://example.com/runbook"`),
			want:     []Finding{{Where: "metadata", Value: "unset", Field: "metadata.annotations[a8r.io/owner]", Detail: "required"}}},
		{name: "a value the pattern does not match", props: props,
			manifest: svc(`a8r.io/owner: "@team", a8r.io/runbook: "see the wiki"`),
			want: []Finding{{Where: "metadata", Value: "see the wiki", Field: "metadata.annotations[a8r.io/runbook]",
				Detail: "does not match the allowed pattern ^https?://"}}},
		{name: "labels do not stand in for annotations", props: `{keys: [{key: owner}]}`,
			manifest: `{apiVersion: v1, kind: Namespace, metadata: {name: ns1, labels: {owner: a}}}`,
			want:     []Finding{{Where: "metadata", Value: "unset", Field: "metadata.annotations[owner]", Detail: "required"}}},
		{name: "other kinds are not judged", props: props,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx}]}`)},
	})
}

func TestRequiredMetadataProperties(t *testing.T) {
	for _, id := range []string{"requiredLabels", "requiredAnnotations"} {
		seed001PropErrors(t, id, map[string][]string{
			``:                           {"properties.keys", "Required"},
			`{keys: [{key: "bad key"}]}`: {"properties.keys[0].key"},
			`{keys: [{key: a, allowedRegex: "a(b"}]}`: {"properties.keys[0].allowedRegex"},
		})
	}
}
