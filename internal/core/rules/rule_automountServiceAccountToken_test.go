package rules

import "testing"

func TestAutomountServiceAccountToken(t *testing.T) {
	const inherits = "the ServiceAccount's setting applies, which is true unless it sets false"
	sa := func(automount string) string {
		return `{apiVersion: v1, kind: ServiceAccount, metadata: {name: app}` + automount + `}`
	}
	seed001Cases(t, "automountServiceAccountToken", []seed001Case{
		{name: "a pod that sets false passes",
			manifest: seed001Pod(`{automountServiceAccountToken: false, containers: [{name: c, image: redis}]}`)},
		{name: "a pod that leaves it unset inherits the ServiceAccount's default",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`),
			want:     []Finding{{Where: "pod", Value: "unset", Field: "spec.automountServiceAccountToken", Detail: inherits}}},
		{name: "a pod that sets true",
			manifest: seed001Pod(`{automountServiceAccountToken: true, containers: [{name: c, image: redis}]}`),
			want:     []Finding{{Where: "pod", Value: "true", Field: "spec.automountServiceAccountToken"}}},
		{name: "a Deployment's template",
			manifest: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {containers: [{name: c, image: redis}]}}}}`,
			want:     []Finding{{Where: "pod", Value: "unset", Field: "spec.template.spec.automountServiceAccountToken", Detail: inherits}}},
		{name: "a ServiceAccount that sets false passes", manifest: sa(`, automountServiceAccountToken: false`)},
		{name: "a ServiceAccount that leaves it unset",
			manifest: sa(""),
			want:     []Finding{{Where: "serviceAccount", Value: "unset", Field: "automountServiceAccountToken"}}},
		{name: "a ServiceAccount that sets true",
			manifest: sa(`, automountServiceAccountToken: true`),
			want:     []Finding{{Where: "serviceAccount", Value: "true", Field: "automountServiceAccountToken"}}},
		{name: "other objects are ignored",
			manifest: `{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}`},
	})
}
