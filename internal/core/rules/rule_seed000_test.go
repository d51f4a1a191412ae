package rules

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// objectInput decodes one object written in YAML or JSON into the Input the
// engine would pass: every container of its pod in scope, namespace
// "default" unless the object names one or is cluster-scoped.
func objectInput(t testing.TB, doc string) *Input {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("object YAML: %v\n%s", err, doc)
	}
	obj, err := workload.Decode(raw)
	if err != nil {
		t.Fatalf("decode object: %v\n%s", err, doc)
	}
	in := &Input{Object: obj}
	if !workload.IsClusterScoped(obj.Kind) {
		in.Namespace = obj.Namespace("default")
	}
	if obj.Pod != nil {
		for i := range obj.Pod.Containers {
			in.Containers = append(in.Containers, &obj.Pod.Containers[i])
		}
	}
	return in
}

// podYAML is a Pod named p whose spec is given in flow YAML.
func podYAML(spec string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team}\nspec: " + spec
}

// ruleCheck builds rule id from the built-in catalog with the properties
// given as JSON ("" for none), failing the test when they do not validate.
func ruleCheck(t testing.TB, id, props string) Check {
	t.Helper()
	reg, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	pr := &policy.Rule{Rule: id, Action: policy.ActionLog}
	if props != "" {
		pr.Properties = json.RawMessage(props)
	}
	_, c, err := reg.Build(pr)
	if err != nil {
		t.Fatalf("build %s %s: %v", id, props, err)
	}
	return c
}

// ruleCase is one object checked by one rule.
type ruleCase struct {
	name  string
	rule  string
	props string
	obj   string
	want  []Finding
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			got := ruleCheck(t, tc.rule, tc.props)(objectInput(t, tc.obj))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

const oneContainer = `{name: app, image: busybox}`

func TestHostNamespaces(t *testing.T) {
	var cases []ruleCase
	for _, id := range []string{"hostNetwork", "hostIPC", "hostPID"} {
		cases = append(cases,
			ruleCase{name: "unset", rule: id, obj: podYAML(`{containers: [` + oneContainer + `]}`)},
			ruleCase{name: "false", rule: id, obj: podYAML(`{` + id + `: false, containers: [` + oneContainer + `]}`)},
			ruleCase{name: "true", rule: id, obj: podYAML(`{` + id + `: true, containers: [` + oneContainer + `]}`),
				want: []Finding{{Where: "podSecurityContext", Value: "true", Field: "spec." + id}}},
			ruleCase{name: "deployment", rule: id, obj: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      ` + id + `: true
      containers: [` + oneContainer + `]`,
				want: []Finding{{Where: "podSecurityContext", Value: "true", Field: "spec.template.spec." + id}}},
			ruleCase{name: "cronjob", rule: id, obj: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          ` + id + `: true
          containers: [` + oneContainer + `]`,
				want: []Finding{{Where: "podSecurityContext", Value: "true", Field: "spec.jobTemplate.spec.template.spec." + id}}},
		)
	}
	runRuleCases(t, cases)
}

// allTypes is a pod spec with one container of each type, each carrying
// securityContext sc.
func allTypes(sc string) string {
	return podYAML(`{initContainers: [{name: init, image: busybox, securityContext: ` + sc + `}],
  containers: [{name: app, image: busybox, securityContext: ` + sc + `}],
  ephemeralContainers: [{name: debug, image: busybox, securityContext: ` + sc + `}]}`)
}

// perType is the same finding for the init, regular and ephemeral
// container of allTypes, at field sub.
func perType(where, value, sub, detail string) []Finding {
	return []Finding{
		{Where: where, Value: value, Container: "init", Field: "spec.initContainers[0]." + sub, Detail: detail},
		{Where: where, Value: value, Container: "app", Field: "spec.containers[0]." + sub, Detail: detail},
		{Where: where, Value: value, Container: "debug", Field: "spec.ephemeralContainers[0]." + sub, Detail: detail},
	}
}

func TestPrivileged(t *testing.T) {
	const csc = "containerSecurityContext"
	runRuleCases(t, []ruleCase{
		{name: "unset", rule: "privileged", obj: allTypes(`{}`)},
		{name: "false", rule: "privileged", obj: allTypes(`{privileged: false}`)},
		{name: "true in every container type", rule: "privileged", obj: allTypes(`{privileged: true}`),
			want: perType(csc, "true", "securityContext.privileged", "")},
		{name: "only the privileged container", rule: "privileged",
			obj:  podYAML(`{containers: [{name: a, image: busybox}, {name: b, image: busybox, securityContext: {privileged: true}}]}`),
			want: []Finding{{Where: csc, Value: "true", Container: "b", Field: "spec.containers[1].securityContext.privileged"}}},
	})
}

func TestAllowPrivilegeEscalation(t *testing.T) {
	const csc, sub = "containerSecurityContext", "securityContext.allowPrivilegeEscalation"
	runRuleCases(t, []ruleCase{
		{name: "false", rule: "allowPrivilegeEscalation", obj: allTypes(`{allowPrivilegeEscalation: false}`)},
		{name: "unset defaults to true", rule: "allowPrivilegeEscalation", obj: allTypes(`{}`),
			want: perType(csc, "unset", sub, "")},
		{name: "true", rule: "allowPrivilegeEscalation", obj: allTypes(`{allowPrivilegeEscalation: true}`),
			want: perType(csc, "true", sub, "")},
		{name: "privileged implies it", rule: "allowPrivilegeEscalation", obj: allTypes(`{privileged: true}`),
			want: perType(csc, "unset", sub, "privileged containers always allow escalation")},
	})
}

func TestReadOnlyRootFilesystem(t *testing.T) {
	const csc, sub = "containerSecurityContext", "securityContext.readOnlyRootFilesystem"
	runRuleCases(t, []ruleCase{
		{name: "true", rule: "readOnlyRootFilesystem", obj: allTypes(`{readOnlyRootFilesystem: true}`)},
		{name: "unset", rule: "readOnlyRootFilesystem", obj: allTypes(`{}`), want: perType(csc, "unset", sub, "")},
		{name: "false", rule: "readOnlyRootFilesystem", obj: allTypes(`{readOnlyRootFilesystem: false}`), want: perType(csc, "false", sub, "")},
	})
}

func TestRunAsNonRoot(t *testing.T) {
	const csc = "containerSecurityContext"
	pod := func(podSC, containerSC string) string {
		return podYAML(`{securityContext: ` + podSC + `, containers: [{name: app, image: busybox, securityContext: ` + containerSC + `}]}`)
	}
	f := func(value, field string) []Finding {
		return []Finding{{Where: csc, Value: value, Container: "app", Field: field}}
	}
	runRuleCases(t, []ruleCase{
		{name: "container runAsNonRoot", rule: "runAsNonRoot", obj: pod(`{}`, `{runAsNonRoot: true}`)},
		{name: "pod runAsNonRoot", rule: "runAsNonRoot", obj: pod(`{runAsNonRoot: true}`, `{}`)},
		{name: "container runAsUser", rule: "runAsNonRoot", obj: pod(`{}`, `{runAsUser: 1000}`)},
		{name: "pod runAsUser", rule: "runAsNonRoot", obj: pod(`{runAsUser: 1000}`, `{}`)},
		{name: "container user overrides pod root", rule: "runAsNonRoot", obj: pod(`{runAsUser: 0}`, `{runAsUser: 1000}`)},
		{name: "nothing set", rule: "runAsNonRoot", obj: pod(`{}`, `{}`),
			want: f("runAsNonRoot=unset", "spec.containers[0].securityContext.runAsNonRoot")},
		{name: "container overrides pod runAsNonRoot", rule: "runAsNonRoot", obj: pod(`{runAsNonRoot: true}`, `{runAsNonRoot: false}`),
			want: f("runAsNonRoot=false", "spec.containers[0].securityContext.runAsNonRoot")},
		{name: "pod runAsNonRoot false", rule: "runAsNonRoot", obj: pod(`{runAsNonRoot: false}`, `{}`),
			want: f("runAsNonRoot=false", "spec.securityContext.runAsNonRoot")},
		{name: "container runAsUser 0", rule: "runAsNonRoot", obj: pod(`{}`, `{runAsUser: 0}`),
			want: f("runAsUser=0", "spec.containers[0].securityContext.runAsUser")},
		{name: "container runAsUser 0 beats runAsNonRoot", rule: "runAsNonRoot", obj: pod(`{runAsNonRoot: true}`, `{runAsUser: 0}`),
			want: f("runAsUser=0", "spec.containers[0].securityContext.runAsUser")},
		{name: "pod runAsUser 0", rule: "runAsNonRoot", obj: pod(`{runAsUser: 0}`, `{}`),
			want: f("runAsUser=0", "spec.securityContext.runAsUser")},
		{name: "pod runAsUser 0 with container runAsNonRoot", rule: "runAsNonRoot", obj: pod(`{runAsUser: 0}`, `{runAsNonRoot: true}`),
			want: f("runAsUser=0", "spec.securityContext.runAsUser")},
		{name: "every container type", rule: "runAsNonRoot", obj: allTypes(`{}`),
			want: perType(csc, "runAsNonRoot=unset", "securityContext.runAsNonRoot", "")},
	})
}

func TestContainerCapabilities(t *testing.T) {
	const sub = "securityContext.capabilities"
	modes := []string{"restrict-nondefaults", "baseline", "restricted", "restrict-all"}
	type verdict struct{ value, detail string } // zero: allowed
	ok := verdict{}
	extra := func(mode, caps string) verdict { return verdict{caps, mode + " allows no such added capability"} }
	noNetRaw := verdict{"NET_RAW", "baseline requires dropping NET_RAW (or ALL)"}
	noDropAll := func(mode string) verdict {
		return verdict{"drop ALL missing", mode + " requires capabilities.drop: [ALL]"}
	}
	cases := []struct {
		name string
		caps string
		want [4]verdict // by mode, in the order of modes
	}{
		{"no capabilities field", ``,
			[4]verdict{ok, noNetRaw, noDropAll("restricted"), noDropAll("restrict-all")}},
		{"drop ALL", `{drop: [ALL]}`,
			[4]verdict{ok, ok, ok, ok}},
		{"drop all, lower case", `{drop: [all]}`,
			[4]verdict{ok, ok, ok, ok}},
		{"drop NET_RAW", `{drop: [NET_RAW]}`,
			[4]verdict{ok, ok, noDropAll("restricted"), noDropAll("restrict-all")}},
		// Runtimes prefix "CAP_" themselves: dropping "CAP_NET_RAW" drops nothing.
		{"drop CAP_NET_RAW", `{drop: [CAP_NET_RAW]}`,
			[4]verdict{ok, noNetRaw, noDropAll("restricted"), noDropAll("restrict-all")}},
		{"drop net_raw, lower case", `{drop: [net_raw]}`,
			[4]verdict{ok, ok, noDropAll("restricted"), noDropAll("restrict-all")}},
		{"add a default", `{add: [CHOWN], drop: [ALL]}`,
			[4]verdict{ok, ok, extra("restricted", "CHOWN"), extra("restrict-all", "CHOWN")}},
		{"add NET_BIND_SERVICE", `{add: [NET_BIND_SERVICE], drop: [ALL]}`,
			[4]verdict{ok, ok, ok, extra("restrict-all", "NET_BIND_SERVICE")}},
		{"add cap_net_raw, lower case with prefix", `{add: [cap_net_raw], drop: [ALL]}`,
			[4]verdict{ok, extra("baseline", "NET_RAW"), extra("restricted", "NET_RAW"), extra("restrict-all", "NET_RAW")}},
		{"add non-defaults", `{add: [CAP_SYS_ADMIN, net_admin], drop: [ALL]}`,
			[4]verdict{extra("restrict-nondefaults", "SYS_ADMIN,NET_ADMIN"), extra("baseline", "SYS_ADMIN,NET_ADMIN"),
				extra("restricted", "SYS_ADMIN,NET_ADMIN"), extra("restrict-all", "SYS_ADMIN,NET_ADMIN")}},
		{"add ALL", `{add: [ALL]}`,
			[4]verdict{extra("restrict-nondefaults", "ALL"), extra("baseline", "ALL"), extra("restricted", "ALL"), extra("restrict-all", "ALL")}},
		{"added capability reported before a missing drop", `{add: [SYS_PTRACE]}`,
			[4]verdict{extra("restrict-nondefaults", "SYS_PTRACE"), extra("baseline", "SYS_PTRACE"),
				extra("restricted", "SYS_PTRACE"), extra("restrict-all", "SYS_PTRACE")}},
	}
	var rcs []ruleCase
	for _, tc := range cases {
		sc := `{}`
		if tc.caps != "" {
			sc = `{capabilities: ` + tc.caps + `}`
		}
		for i, mode := range modes {
			rc := ruleCase{name: mode + "/" + tc.name, rule: "containerCapabilities",
				props: `{"capabilityRestriction":"` + mode + `"}`, obj: allTypes(sc)}
			if v := tc.want[i]; v != ok {
				rc.want = perType("containerSecurityContext", v.value, sub, v.detail)
			}
			rcs = append(rcs, rc)
		}
	}
	rcs = append(rcs, ruleCase{name: "default is baseline", rule: "containerCapabilities", obj: allTypes(`{}`),
		want: perType("containerSecurityContext", noNetRaw.value, sub, noNetRaw.detail)})
	runRuleCases(t, rcs)
}

func TestContainerCapabilitiesProperties(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = reg.Build(&policy.Rule{Rule: "containerCapabilities", Properties: json.RawMessage(`{"capabilityRestriction":"none"}`)})
	if err == nil {
		t.Fatal("capabilityRestriction none: want an error")
	}
}

func TestImageRules(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	// One container per image, in this order.
	images := []string{
		"busybox",                              // docker.io/library/busybox:latest
		"acme/api:1.2",                         // docker.io/acme/api:1.2
		"myregistry.azurecr.io/team/web:v3",    // myregistry.azurecr.io/team/web:v3
		"localhost:5000/dev-tool@" + digest,    // digest only: no tag
		"myregistry.azurecr.io.evil.com/x:dev", // a look-alike host
	}
	paths := []string{
		"docker.io/library/busybox:latest",
		"docker.io/acme/api:1.2",
		"myregistry.azurecr.io/team/web:v3",
		"localhost:5000/dev-tool@" + digest,
		"myregistry.azurecr.io.evil.com/x:dev",
	}
	var containers string
	for i, img := range images {
		if i > 0 {
			containers += ", "
		}
		containers += `{name: c` + string(rune('0'+i)) + `, image: "` + img + `"}`
	}
	obj := podYAML(`{containers: [` + containers + `]}`)
	cases := []struct {
		rule, op string
		values   []string
		// want lists the indexes of the flagged images.
		want []int
	}{
		{"imageRegistry", "equals", []string{"docker.io"}, []int{0, 1}},
		{"imageRegistry", "notEquals", []string{"myregistry.azurecr.io"}, []int{0, 1, 3, 4}},
		{"imageRegistry", "notEquals", []string{"myregistry.azurecr.io", "docker.io"}, []int{3, 4}},
		{"imageRegistry", "startsWith", []string{"myregistry.azurecr.io"}, []int{2, 4}},
		{"imageRegistry", "endsWith", []string{".com"}, []int{4}},
		{"imageRegistry", "matches", []string{`^localhost(:\d+)?$`}, []int{3}},
		{"imageName", "equals", []string{"busybox"}, []int{0}},
		{"imageName", "equals", []string{"library/busybox"}, nil},
		{"imageName", "contains", []string{"dev"}, []int{3}},
		{"imageName", "notContains", []string{"a", "t"}, []int{0, 4}},
		{"imageName", "startsWith", []string{"team/", "acme/"}, []int{1, 2}},
		{"imageName", "endsWith", []string{"/web"}, []int{2}},
		{"imageName", "matches", []string{"^[a-z]+$"}, []int{0, 4}},
		{"imageTag", "equals", []string{"latest"}, []int{0}},
		{"imageTag", "notEquals", []string{"latest", "1.2", "v3", "dev"}, []int{3}},
		{"imageTag", "contains", []string{"."}, []int{1}},
		{"imageTag", "matches", []string{`^v\d+$`}, []int{2}},
		{"imagePath", "startsWith", []string{"docker.io/"}, []int{0, 1}},
		{"imagePath", "startsWith", []string{"myregistry.azurecr.io/"}, []int{2}},
		{"imagePath", "equals", []string{"docker.io/library/busybox:latest"}, []int{0}},
		{"imagePath", "equals", []string{"busybox"}, nil},
		{"imagePath", "contains", []string{"@sha256:"}, []int{3}},
		{"imagePath", "notContains", []string{"azurecr.io"}, []int{0, 1, 3}},
		{"imagePath", "endsWith", []string{":dev"}, []int{4}},
	}
	var rcs []ruleCase
	for _, tc := range cases {
		vals, _ := json.Marshal(tc.values)
		rc := ruleCase{
			name: tc.op + string(vals), rule: tc.rule, obj: obj,
			props: `{"operator":"` + tc.op + `","values":` + string(vals) + `}`,
		}
		for _, i := range tc.want {
			f := Finding{Where: "image", Value: paths[i], Container: "c" + string(rune('0'+i)),
				Field: "spec.containers[" + string(rune('0'+i)) + "].image"}
			if tc.rule != "imagePath" {
				part := map[string]string{"imageRegistry": "registry", "imageName": "name", "imageTag": "tag"}[tc.rule]
				f.Detail = part + " " + tc.op + " " + quoteList(tc.values)
			}
			rc.want = append(rc.want, f)
		}
		rcs = append(rcs, rc)
	}
	runRuleCases(t, rcs)
}

func TestImageRulesInvalidReference(t *testing.T) {
	obj := podYAML(`{initContainers: [{name: i, image: "Busybox"}], containers: [{name: c, image: " busybox"}, {name: ok, image: busybox}]}`)
	want := []Finding{
		{Where: "image", Value: "Busybox", Container: "i", Field: "spec.initContainers[0].image", Detail: "invalid image reference"},
		{Where: "image", Value: " busybox", Container: "c", Field: "spec.containers[0].image", Detail: "invalid image reference"},
	}
	// An invalid reference is flagged whatever the condition, negative
	// operators included: it fails closed. The conditions let the valid
	// busybox through.
	busybox := map[string]string{
		"imageRegistry": "docker.io", "imageName": "busybox", "imageTag": "latest",
		"imagePath": "docker.io/library/busybox:latest",
	}
	var rcs []ruleCase
	for rule, part := range busybox {
		for _, op := range []string{"equals", "notEquals", "notContains", "matches"} {
			value := "nothing-matches-this"
			if op == "notEquals" || op == "notContains" {
				value = part
			}
			rcs = append(rcs, ruleCase{name: "invalid/" + op, rule: rule, obj: obj,
				props: `{"operator":"` + op + `","values":["` + value + `"]}`, want: want})
		}
	}
	runRuleCases(t, rcs)
}

func TestImageRulesProperties(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, props := range []string{
		``, // operator and values are required
		`{"operator":"equals"}`,
		`{"operator":"is","values":["x"]}`,
		`{"operator":"matches","values":["("]}`,
		`{"operator":"equals","values":["x"],"extra":1}`,
	} {
		pr := &policy.Rule{Rule: "imageName", Properties: json.RawMessage(props)}
		if _, _, err := reg.Build(pr); err == nil {
			t.Errorf("imageName properties %s: want an error", props)
		}
	}
}

func TestKubectlRules(t *testing.T) {
	pod := objectInput(t, podYAML(`{containers: [`+oneContainer+`]}`))
	cases := []struct {
		rule    string
		connect *Connect
		want    []Finding
	}{
		{"podExec", nil, nil},
		{"podExec", &Connect{Subresource: "exec", Pod: "p", Container: "app", Command: []string{"sh"}},
			[]Finding{{Where: "pod", Value: "exec", Container: "app", Field: "pods/exec"}}},
		{"podExec", &Connect{Subresource: "attach", Pod: "p", Container: "app"},
			[]Finding{{Where: "pod", Value: "attach", Container: "app", Field: "pods/attach"}}},
		{"podExec", &Connect{Subresource: "portforward", Pod: "p", Ports: []int32{8080}}, nil},
		{"podPortForward", nil, nil},
		{"podPortForward", &Connect{Subresource: "portforward", Pod: "p", Ports: []int32{8080}},
			[]Finding{{Where: "pod", Value: "portforward", Field: "pods/portforward"}}},
		{"podPortForward", &Connect{Subresource: "exec", Pod: "p", Container: "app"}, nil},
	}
	for _, tc := range cases {
		in := *pod
		in.Connect = tc.connect
		got := ruleCheck(t, tc.rule, "")(&in)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s with %+v (-want +got):\n%s", tc.rule, tc.connect, diff)
		}
	}
}

// TestContainerRulesSeeOnlyInScopeContainers checks that per-container
// rules read in.Containers (what the engine leaves after excludedImages and
// exceptions), not the whole pod.
func TestContainerRulesSeeOnlyInScopeContainers(t *testing.T) {
	in := objectInput(t, allTypes(`{privileged: true}`))
	in.Containers = in.Containers[1:2] // the regular container only
	got := ruleCheck(t, "privileged", "")(in)
	want := []Finding{{Where: "containerSecurityContext", Value: "true", Container: "app", Field: "spec.containers[0].securityContext.privileged"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
