package rules

import "testing"

func TestDefaultNamespace(t *testing.T) {
	check := seed001Check(t, "defaultNamespace", "")
	tests := []struct {
		name, manifest, namespace string
		want                      []Finding
	}{
		{name: "a ConfigMap in default",
			manifest: `{apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: default}}`, namespace: "default",
			want: []Finding{{Where: "metadata", Value: "default", Field: "metadata.namespace"}}},
		{name: "a Deployment without a namespace, applied to default",
			manifest: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {containers: [{name: c, image: redis}]}}}}`, namespace: "default",
			want: []Finding{{Where: "metadata", Value: "default", Field: "metadata.namespace"}}},
		{name: "a Secret in another namespace",
			manifest: `{apiVersion: v1, kind: Secret, metadata: {name: s, namespace: prod}}`, namespace: "prod"},
		{name: "a cluster-scoped object",
			manifest: `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}}`, namespace: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := check(seed001Input(seed001Object(t, tc.manifest), tc.namespace))
			if diff := seed001Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
