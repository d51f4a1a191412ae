package rules

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

func celProps(expression, message string) string {
	b, _ := json.Marshal(CELParams{Expression: expression, Message: message})
	return string(b)
}

func TestCEL(t *testing.T) {
	deployment := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {team: a}}
spec:
  replicas: 3
  template:
    spec:
      containers: [{name: app, image: busybox, resources: {limits: {cpu: "0.5"}}}]`
	const msg = "replicas must be at most 2"
	violation := []Finding{{Where: "object", Value: msg}}
	cases := []struct {
		name, expr, obj string
		want            []Finding
		// wantDetail, when set, is a prefix of the single finding's Detail.
		wantDetail string
	}{
		{name: "true allows", expr: "object.spec.replicas >= 1", obj: deployment},
		{name: "false is a violation", expr: "object.spec.replicas <= 2", obj: deployment, want: violation},
		{name: "numbers are integers", expr: "object.spec.replicas + 1 == 4", obj: deployment},
		{name: "has() on an absent field", expr: "!has(object.spec.template.spec.hostNetwork)", obj: deployment},
		{name: "macros over containers", expr: "object.spec.template.spec.containers.all(c, has(c.resources.limits))", obj: deployment},
		{name: "labels", expr: "'team' in object.metadata.labels && object.metadata.labels.team == 'a'", obj: deployment},
		{name: "request.namespace", expr: "request.namespace == 'shop'", obj: deployment},
		{name: "request.namespace, another", expr: "request.namespace == 'default'", obj: podYAML(`{containers: [` + oneContainer + `]}`), want: violation},
		{name: "request name and kind", expr: "request.name == 'web' && request.kind.group == 'apps' && request.kind.version == 'v1' && request.kind.kind == 'Deployment'", obj: deployment},
		{name: "request.operation is not known", expr: "request.operation == 'CREATE'", obj: deployment,
			want: violation, wantDetail: "evaluation error: no such key: operation"},
		{name: "namespaceObject", expr: "namespaceObject.metadata.name == 'shop'", obj: deployment},
		{name: "namespaceObject is null when cluster-scoped", expr: "namespaceObject == null", obj: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}"},
		{name: "oldObject is null", expr: "oldObject == null", obj: deployment},
		{name: "string extensions", expr: "object.metadata.name.upperAscii() == 'WEB'", obj: deployment},
		{name: "optional types", expr: "object.?spec.?paused.orValue(false) == false", obj: deployment},
		{name: "any kind", expr: "object.kind == 'ConfigMap' && object.data.key == 'v'", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {key: v}"},
		{name: "no such key is an evaluation error", expr: "object.spec.paused == false", obj: deployment,
			want: violation, wantDetail: "evaluation error: no such key: paused"},
		{name: "cost limit", expr: "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, true))))))",
			obj: deployment, want: violation, wantDetail: "evaluation error: operation cancelled: actual cost limit exceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ruleCheck(t, "cel", celProps(tc.expr, msg))(objectInput(t, tc.obj))
			if tc.wantDetail != "" && len(got) == 1 {
				if !strings.HasPrefix(got[0].Detail, tc.wantDetail) {
					t.Errorf("detail %q, want prefix %q", got[0].Detail, tc.wantDetail)
				}
				got[0].Detail = ""
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCELDecodesOnlyWhenRead checks that an expression that does not read
// object does not decode it: here the raw JSON is broken, which would turn
// object into null.
func TestCELDecodesOnlyWhenRead(t *testing.T) {
	in := objectInput(t, podYAML(`{containers: [`+oneContainer+`]}`))
	in.Object.Raw = []byte(`{`)
	if got := ruleCheck(t, "cel", celProps("request.namespace == 'team'", "m"))(in); len(got) != 0 {
		t.Errorf("findings %+v, want none", got)
	}
	if got := ruleCheck(t, "cel", celProps("object == null", "m"))(in); len(got) != 0 {
		t.Errorf("unreadable object: findings %+v, want none (object is null)", got)
	}
}

func TestCELProperties(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	path := field.NewPath("spec", "clusterWide", "deployment", "rules").Index(0)
	for props, want := range map[string]string{
		``:                                `properties.expression: Required value`,
		`{"expression":"true"}`:           `properties.message: Required value`,
		`{"message":"m"}`:                 `properties.expression: Required value`,
		celProps("object.spec +", "m"):    `properties: Invalid value: "{\"expression\":\"object.spec +\",\"message\":\"m\"}": compile expression: ERROR`,
		celProps("object.spec", "m"):      `expression must return bool, not dyn`,
		celProps("1 + 1", "m"):            `expression must return bool, not int`,
		celProps("params.max > 1", "m"):   `undeclared reference to 'params'`,
		celProps("namespace == 'x'", "m"): `reserved identifier: namespace`,
		celProps("true", "m"):             ``,
	} {
		errs := reg.CheckRule(&policy.Rule{Rule: "cel", Properties: json.RawMessage(props)}, policy.TabDeployment, path)
		got := errs.ToAggregate()
		switch {
		case want == "" && got != nil:
			t.Errorf("%s: unexpected error %v", props, got)
		case want != "" && (got == nil || !strings.Contains(got.Error(), want)):
			t.Errorf("%s: error %v, want it to contain %q", props, got, want)
		}
	}
	r, _ := reg.Get("cel")
	if !NeedsProperties(r) {
		t.Error("cel: expression and message must be marked required")
	}
}

// On an admission UPDATE, oldObject is the object replaced.
func TestCELOldObject(t *testing.T) {
	deploy := func(replicas string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: " + replicas + ", template: {spec: {containers: [{name: c, image: nginx}]}}}"
	}
	const msg = "replicas may only grow"
	check := ruleCheck(t, "cel", celProps("oldObject == null || object.spec.replicas >= oldObject.spec.replicas", msg))
	for _, tc := range []struct {
		old, obj string
		want     []Finding
	}{
		{old: deploy("2"), obj: deploy("3")},
		{old: deploy("3"), obj: deploy("2"), want: []Finding{{Where: "object", Value: msg}}},
		{obj: deploy("1")},
	} {
		in := objectInput(t, tc.obj)
		if tc.old != "" {
			in.OldObject = objectInput(t, tc.old).Object
		}
		if diff := cmp.Diff(tc.want, check(in)); diff != "" {
			t.Errorf("old %q, new %q: findings (-want +got):\n%s", tc.old, tc.obj, diff)
		}
	}
}
