package k8saudit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// absent is the expectation of a field without a value.
var absent []string

// want lists the values each field (with its argument, as a rule writes it)
// reads on a fixture; fields not listed are not checked on that fixture.
type want map[string][]string

func one(s string) []string { return []string{s} }

var fieldCases = []struct {
	fixture string
	want    want
}{
	{"pod-create-privileged.json", want{
		"ka.auditid":                              one("8f1c2d0e-5b7a-4c61-9d3e-2a4b6c8d0e1f"),
		"ka.stage":                                one("ResponseComplete"),
		"ka.auth.decision":                        one("allow"),
		"ka.auth.reason":                          one(`RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"`),
		"ka.security.pod.violations":              one(`would violate PodSecurity "restricted:latest": host namespaces (hostNetwork=true, hostPID=true), privileged (containers "setup", "shell" must not set securityContext.privileged=true)`),
		"ka.auth.openshift.decision":              absent,
		"ka.auth.openshift.username":              absent,
		"ka.validations.admission.policy.failure": absent,
		"ka.user.name":                            one("kubernetes-admin"),
		"ka.user.groups":                          {"kubeadm:cluster-admins", "system:authenticated"},
		"ka.impuser.name":                         absent,
		"ka.verb":                                 one("create"),
		"ka.uri":                                  one("/api/v1/namespaces/kube-system/pods?fieldManager=kubectl-client-side-apply&fieldValidation=Strict"),
		"ka.uri.param[fieldManager]":              one("kubectl-client-side-apply"),
		"ka.uri.param[command]":                   absent,
		"ka.target.name":                          one("node-debugger"),
		"ka.target.namespace":                     one("kube-system"),
		"ka.target.resource":                      one("pods"),
		"ka.target.subresource":                   absent,
		"ka.target.pod.name":                      one("node-debugger"),
		"ka.req.configmap.name":                   one("node-debugger"),
		"ka.req.configmap.obj":                    absent,
		"ka.req.binding.subjects":                 absent,
		"ka.req.binding.role":                     absent,
		"ka.req.binding.subject.has_name[bob]":    one("true"),

		"ka.req.pod.containers.name":     {"shell", "sidecar", "app"},
		"ka.req.pod.containers.image":    {"nginx:1.27.2", "docker.io/library/busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7", "registry.example.com:5000/team/app:v2.1.0"},
		"ka.req.pod.containers.image[1]": one("docker.io/library/busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7"),
		"ka.req.pod.containers.image[3]": absent,
		// The plugin cuts at the first ':', so a registry port cuts too.
		"ka.req.pod.containers.image.repository":           {"nginx", "docker.io/library/busybox", "registry.example.com"},
		"ka.req.pod.containers.image.repository[2]":        one("registry.example.com"),
		"ka.req.pod.containers.command":                    one("/bin/sh"),
		"ka.req.pod.containers.args":                       one("-c while true; do sleep 3600; done"),
		"ka.req.pod.containers.args[0]":                    absent,
		"ka.req.pod.containers.host_port":                  {"8080", "9113"},
		"ka.req.pod.containers.host_port[1]":               absent,
		"ka.req.pod.containers.privileged":                 {"true", "false"},
		"ka.req.pod.containers.privileged[0]":              one("true"),
		"ka.req.pod.containers.privileged[2]":              absent,
		"ka.req.pod.containers.allow_privilege_escalation": one("false"),
		"ka.req.pod.containers.read_only_fs":               one("true"),
		"ka.req.pod.containers.run_as_user":                one("0"),
		"ka.req.pod.containers.eff_run_as_user":            {"0", "1000", "1000"},
		"ka.req.pod.containers.eff_run_as_user[2]":         one("1000"),
		"ka.req.pod.containers.run_as_group":               one("3001"),
		"ka.req.pod.containers.eff_run_as_group":           {"3000", "3000", "3001"},
		"ka.req.pod.containers.proc_mount":                 one("Default"),
		"ka.req.pod.containers.add_capabilities":           one(`["NET_ADMIN","SYS_TIME"]`),

		"ka.req.pod.initContainers.name":             one("setup"),
		"ka.req.pod.initContainers.image":            one("busybox:1.36"),
		"ka.req.pod.initContainers.image.repository": one("busybox"),
		"ka.req.pod.initContainers.command":          one("sh -c echo setting up"),
		"ka.req.pod.initContainers.privileged":       one("true"),
		"ka.req.pod.initContainers.eff_run_as_user":  one("0"),
		"ka.req.pod.initContainers.eff_run_as_group": one("3000"),
		"ka.req.pod.initContainers.host_port":        absent,
		"ka.req.pod.ephemeralContainers.image":       absent,
		"ka.req.pod.ephemeralContainers.privileged":  absent,

		"ka.req.container.image":            one("nginx:1.27.2"),
		"ka.req.container.image.repository": one("nginx"),
		"ka.req.container.privileged":       one("true"),
		"ka.req.pod.host_network":           one("true"),
		"ka.req.container.host_network":     one("true"),
		"ka.req.pod.host_pid":               one("true"),
		"ka.req.pod.host_ipc":               one("false"),
		"ka.req.pod.run_as_user":            one("1000"),
		"ka.req.pod.run_as_group":           one("3000"),
		"ka.req.pod.fs_group":               one("2000"),
		"ka.req.pod.supplemental_groups":    {"4000", "5000"},

		"ka.req.pod.volumes.hostpath":          {"/var/run/docker.sock", "/etc"},
		"ka.req.pod.volumes.hostpath[1]":       one("/etc"),
		"ka.req.pod.volumes.hostpath[2]":       absent,
		"ka.req.volume.hostpath[/etc]":         one("true"),
		"ka.req.volume.hostpath[/var/run/*]":   one("true"),
		"ka.req.volume.hostpath[/proc]":        one("false"),
		"ka.req.pod.volumes.flexvolume_driver": one("example.com/lvm"),
		"ka.req.pod.volumes.volume_type":       {"hostPath", "hostPath", "configMap", "emptyDir", "flexVolume"},
		"ka.req.pod.volumes.volume_type[3]":    one("emptyDir"),

		"ka.req.role.rules":   absent,
		"ka.req.service.type": absent,
		"ka.resp.name":        one("node-debugger"),
		"ka.response.code":    one("201"),
		"ka.response.reason":  absent,
		"ka.useragent":        one("kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"),
		"ka.sourceips":        one("172.18.0.1"),
		"ka.sourceips[0]":     one("172.18.0.1"),
		"ka.sourceips[1]":     absent,
		"ka.cluster.name":     absent,

		"jevt.value[/stage]":                                      one("ResponseComplete"),
		"jevt.value[/requestObject/spec/hostNetwork]":             one("true"),
		"jevt.value[/requestObject/spec/containers/1/image]":      one("docker.io/library/busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7"),
		"jevt.value[/requestObject/spec/volumes/0]":               one(`{"name":"docker-sock","hostPath":{"path":"/var/run/docker.sock","type":"Socket"}}`),
		"jevt.value[/annotations/authorization.k8s.io~1decision]": one("allow"),
		"jevt.value[requestObject/metadata/labels/app]":           one("node-debugger"),
		"jevt.value[/requestObject/metadata/creationTimestamp]":   one("null"),
		"jevt.value[/requestObject/spec/containers/9/image]":      absent,
		"jevt.value[/nope]":                                       absent,
		"json.value[/user/username]":                              one("kubernetes-admin"),
		"jevt.rawtime":                                            one("1741944413612345000"),
		"json.rawtime":                                            one("1741944413612345000"),
		"jevt.time":                                               one("09:26:53.612345000"),
		"jevt.time.iso8601":                                       one("2025-03-14T09:26:53.612345000Z"),
	}},
	{"pod-exec.json", want{
		"ka.stage":                              one("ResponseStarted"),
		"jevt.value[/stage]":                    one("ResponseStarted"),
		"ka.verb":                               one("create"),
		"ka.target.resource":                    one("pods"),
		"ka.target.subresource":                 one("exec"),
		"ka.target.name":                        one("checkout-7c9d8b6f5-x2kqp"),
		"ka.target.namespace":                   one("shop"),
		"ka.target.pod.name":                    absent,
		"ka.uri.param[command]":                 one("/bin/sh"),
		"ka.uri.param[container]":               one("checkout"),
		"ka.uri.param[tty]":                     one("true"),
		"ka.uri.param[stderr]":                  absent,
		"ka.response.code":                      one("101"),
		"ka.sourceips":                          {"10.0.12.7", "192.168.49.1"},
		"ka.sourceips[1]":                       one("192.168.49.1"),
		"ka.user.groups":                        {"developers", "system:authenticated"},
		"ka.req.pod.containers.image":           absent,
		"ka.req.container.image":                absent,
		"ka.req.container.privileged":           absent,
		"ka.req.pod.host_network":               absent,
		"ka.req.volume.hostpath[/etc]":          absent,
		"ka.req.pod.containers.eff_run_as_user": absent,
		"ka.resp.name":                          absent,
		"jevt.time.iso8601":                     one("2025-03-14T10:02:11.131904000Z"),
	}},
	{"pod-attach.json", want{
		"ka.verb":                 one("get"),
		"ka.target.subresource":   one("attach"),
		"ka.uri.param[container]": one("cart"),
		"ka.uri.param[command]":   absent,
		"ka.user.name":            one("ops@example.com"),
	}},
	{"pod-portforward.json", want{
		"ka.target.subresource": one("portforward"),
		"ka.uri":                one("/api/v1/namespaces/data/pods/postgres-0/portforward"),
		"ka.uri.param[ports]":   absent,
		// stageTimestamp carries a +02:00 offset.
		"jevt.time.iso8601": one("2025-03-14T10:07:01.520000000Z"),
		"jevt.time":         one("10:07:01.520000000"),
	}},
	{"secret-get.json", want{
		"ka.target.resource":  one("secrets"),
		"ka.target.name":      one("stripe-api-key"),
		"ka.user.name":        one("alice@example.com"),
		"ka.impuser.name":     one("system:serviceaccount:ci:deployer"),
		"ka.response.code":    one("200"),
		"ka.cluster.name":     one("prod-eu-1"),
		"ka.req.role.rules":   absent,
		"ka.uri.param[watch]": absent,
	}},
	{"secrets-list-forbidden.json", want{
		"ka.verb":                             one("list"),
		"ka.target.name":                      absent,
		"ka.target.namespace":                 one("payments"),
		"ka.response.code":                    one("403"),
		"ka.response.reason":                  one("Forbidden"),
		"ka.auth.decision":                    one("forbid"),
		"ka.auth.reason":                      one(""),
		"ka.uri.param[limit]":                 one("500"),
		"ka.user.groups":                      {"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"},
		"ka.useragent":                        one("python-requests/2.31.0"),
		"jevt.value[/responseStatus/details]": one(`{"kind":"secrets"}`),
	}},
	{"anonymous-unauthorized.json", want{
		"ka.user.name":        absent,
		"ka.user.groups":      absent,
		"ka.auth.decision":    absent,
		"ka.response.code":    one("401"),
		"ka.response.reason":  one("Unauthorized"),
		"ka.target.namespace": absent,
		"ka.target.resource":  one("secrets"),
		"jevt.value[/user]":   one("{}"),
	}},
	{"anonymous-forbidden.json", want{
		"ka.user.name":          one("system:anonymous"),
		"ka.user.groups":        one("system:unauthenticated"),
		"ka.auth.decision":      one("forbid"),
		"ka.response.code":      one("403"),
		"ka.target.resource":    one("configmaps"),
		"ka.req.configmap.name": one("kubeadm-config"),
		"ka.req.configmap.obj":  absent,
	}},
	{"crb-cluster-admin.json", want{
		"ka.target.resource":  one("clusterrolebindings"),
		"ka.target.name":      one("ops-admin"),
		"ka.target.namespace": absent,
		"ka.req.binding.role": one("cluster-admin"),
		"ka.req.binding.subjects": {
			`{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"bob@example.com"}`,
			`{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"ops"}`,
			`{"kind":"ServiceAccount","name":"ci-bot","namespace":"ci"}`,
			`{"kind":"ServiceAccount","name":"default","namespace":"shop"}`,
		},
		"ka.req.binding.subjects.user_names":              one("bob@example.com"),
		"ka.req.binding.subjects.group_names":             one("ops"),
		"ka.req.binding.subjects.serviceaccount_names":    {"ci-bot", "default"},
		"ka.req.binding.subjects.serviceaccount_ns_names": {"ci:ci-bot", "shop:default"},
		"ka.resp.name":       one("ops-admin"),
		"ka.target.pod.name": absent,
		"ka.req.role.rules":  absent,
	}},
	{"clusterrole-wildcard.json", want{
		"ka.target.resource": one("clusterroles"),
		"ka.req.role.rules": {
			`{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}`,
			`{"verbs":["create","get"],"apiGroups":[""],"resources":["pods/exec","pods"]}`,
			`{"verbs":["get"],"nonResourceURLs":["/metrics","/healthz"]}`,
		},
		"ka.req.role.rules.verbs":              {"*", "create", "get", "get"},
		"ka.req.role.rules.verbs[1]":           {"create", "get"},
		"ka.req.role.rules.verbs[3]":           absent,
		"ka.req.role.rules.resources":          {"*", "pods/exec", "pods"},
		"ka.req.role.rules.apiGroups":          {"*", ""},
		"ka.req.role.rules.nonResourceURLs":    {"/metrics", "/healthz"},
		"ka.req.role.rules.nonResourceURLs[0]": absent,
		"ka.req.binding.subjects":              absent,
		"ka.req.binding.subjects.user_names":   absent,
	}},
	{"service-nodeport.json", want{
		"ka.target.resource":  one("services"),
		"ka.req.service.type": one("NodePort"),
		// As in the plugin: one value, the whole array, whatever the index.
		"ka.req.service.ports":        one(`[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080}]`),
		"ka.req.service.ports[5]":     one(`[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080}]`),
		"ka.resp.name":                absent,
		"ka.req.pod.containers.image": absent,
	}},
	{"configmap-credentials.json", want{
		"ka.req.configmap.name": one("checkout-config"),
		// Strings inside the object keep their JSON escapes.
		"ka.req.configmap.obj": one(`{"db_password":"hunter2","deploy_key":"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n"}`),
		// A string read on its own is unescaped.
		"jevt.value[/requestObject/data/deploy_key]": one("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n"),
		"ka.response.code":                           one("201"),
	}},
	{"pod-ephemeral-container.json", want{
		"ka.verb":                                                   one("patch"),
		"ka.target.subresource":                                     one("ephemeralcontainers"),
		"ka.target.pod.name":                                        absent,
		"ka.req.pod.ephemeralContainers.name":                       one("debugger-7tq2x"),
		"ka.req.pod.ephemeralContainers.image":                      one("nicolaka/netshoot:v0.13"),
		"ka.req.pod.ephemeralContainers.image.repository":           one("nicolaka/netshoot"),
		"ka.req.pod.ephemeralContainers.command":                    one("bash"),
		"ka.req.pod.ephemeralContainers.args":                       absent,
		"ka.req.pod.ephemeralContainers.privileged":                 one("true"),
		"ka.req.pod.ephemeralContainers.add_capabilities":           one(`["SYS_PTRACE"]`),
		"ka.req.pod.ephemeralContainers.eff_run_as_user":            one("0"),
		"ka.req.pod.ephemeralContainers.eff_run_as_group":           one("0"),
		"ka.req.pod.ephemeralContainers.run_as_user":                absent,
		"ka.req.pod.ephemeralContainers.allow_privilege_escalation": absent,
		"ka.req.pod.ephemeralContainers.read_only_fs":               absent,
		"ka.req.pod.ephemeralContainers.run_as_group":               absent,
		"ka.req.pod.ephemeralContainers.proc_mount":                 absent,
		"ka.req.pod.ephemeralContainers.host_port":                  absent,
		"ka.req.pod.containers.image":                               absent,
		"ka.req.container.privileged":                               absent,
		// The rules file's path (the pre-1.22 EphemeralContainers object).
		"jevt.value[/requestObject/ephemeralContainers/0/name]":      absent,
		"jevt.value[/requestObject/spec/ephemeralContainers/0/name]": one("debugger-7tq2x"),
	}},
	{"ingress-tls.json", want{
		"ka.target.resource":                            one("ingresses"),
		"jevt.value[/requestObject/spec/tls]":           one(`[{"hosts":["shop.example.com"],"secretName":"shop-tls"}]`),
		"jevt.value[/requestObject/spec/tls/0/hosts/0]": one("shop.example.com"),
		"ka.user.name":                                  one("system:serviceaccount:argocd:argocd-application-controller"),
	}},
}

// readFixture reads testdata/name.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// splitField splits "name[arg]".
func splitField(s string) (name, arg string) {
	if i := strings.IndexByte(s, '['); i >= 0 && strings.HasSuffix(s, "]") {
		return s[:i], s[i+1 : len(s)-1]
	}
	return s, ""
}

// compile returns the extractor of a field as a rule writes it.
func compile(t testing.TB, s *Source, field string) falco.Extractor {
	t.Helper()
	name, arg := splitField(field)
	f, ok := s.Field(name)
	if !ok {
		t.Fatalf("no field %s", name)
	}
	x, err := s.Extractor(f, arg)
	if err != nil {
		t.Fatalf("Extractor(%s): %v", field, err)
	}
	return x
}

// texts returns the values as strings, nil for none.
func texts(vs []falco.Value) []string {
	if len(vs) == 0 {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v.B)
	}
	return out
}

// decodeOne decodes body, which must hold one event, and calls fn with it.
func decodeOne(t testing.TB, body []byte, fn func(*Event)) {
	t.Helper()
	var d Decoder
	n := 0
	err := d.Decode(body, func(e *Event) error {
		n++
		fn(e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("decoded %d events, want 1", n)
	}
}

func TestFields(t *testing.T) {
	s := New(Options{})
	for _, tc := range fieldCases {
		t.Run(tc.fixture, func(t *testing.T) {
			xs := make(map[string]falco.Extractor, len(tc.want))
			for field := range tc.want {
				xs[field] = compile(t, s, field)
			}
			decodeOne(t, readFixture(t, tc.fixture), func(e *Event) {
				// Twice: a second read of the same event reads the same.
				for range 2 {
					for field, want := range tc.want {
						got := texts(xs[field](e, nil))
						if diff := cmp.Diff(want, got); diff != "" {
							t.Errorf("%s (-want +got):\n%s", field, diff)
						}
					}
				}
			})
		})
	}
}

// TestFieldsCovered keeps every field in the table above.
func TestFieldsCovered(t *testing.T) {
	tested := map[string]bool{}
	for _, tc := range fieldCases {
		for field := range tc.want {
			name, _ := splitField(field)
			tested[name] = true
		}
	}
	// Read by other tests.
	for _, name := range []string{"jevt.obj", "json.obj"} {
		tested[name] = true
	}
	for _, f := range New(Options{}).Fields() {
		if !tested[f.Name] && !strings.HasPrefix(f.Name, "ka.req.pod.initContainers.") && !strings.HasPrefix(f.Name, "ka.req.pod.ephemeralContainers.") {
			t.Errorf("field %s has no case in fieldCases", f.Name)
		}
	}
}

func TestJSONObj(t *testing.T) {
	s := New(Options{})
	body := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","user":{"username":"u","groups":[]},"stageTimestamp":"2025-01-02T03:04:05Z"}`)
	want := `{
  "kind": "Event",
  "apiVersion": "audit.k8s.io/v1",
  "auditID": "a",
  "stage": "ResponseComplete",
  "user": {
    "username": "u",
    "groups": []
  },
  "stageTimestamp": "2025-01-02T03:04:05Z"
}`
	for _, field := range []string{"jevt.obj", "json.obj"} {
		x := compile(t, s, field)
		decodeOne(t, body, func(e *Event) {
			if diff := cmp.Diff([]string{want}, texts(x(e, nil))); diff != "" {
				t.Errorf("%s (-want +got):\n%s", field, diff)
			}
		})
	}
}

func TestClusterNameOption(t *testing.T) {
	s := New(Options{ClusterName: "staging"})
	x := compile(t, s, "ka.cluster.name")
	for _, tc := range []struct {
		fixture string
		want    []string
	}{
		{"pod-exec.json", one("staging")},
		{"secret-get.json", one("prod-eu-1")}, // the annotation wins
	} {
		decodeOne(t, readFixture(t, tc.fixture), func(e *Event) {
			if diff := cmp.Diff(tc.want, texts(x(e, nil))); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.fixture, diff)
			}
		})
	}
}

func TestURIParam(t *testing.T) {
	for _, tc := range []struct {
		uri, param string
		want       []string
	}{
		{"/api?a=1&b=2", "b", one("2")},
		{"/api?a=1&a=2", "a", one("1")},
		{"/api?a", "a", one("")},
		{"/api?a=", "a", one("")},
		{"/api?a=x+y%2Fz", "a", one("x y/z")},
		{"/api?a%5Bb%5D=1", "a[b]", one("1")},
		{"/api?x=1#a=2", "a", absent},
		{"/api?x=1&&a=2", "a", one("2")},
		{"/api?", "a", absent},
		{"/api", "a", absent},
		// url.ParseQuery fails on these, so the plugin sets no value.
		{"/api?a=1;b=2", "a", absent},
		{"/api?a=1&b=%zz", "a", absent},
		{"/api?a=1&b=%4", "a", absent},
		{"/a%zz?a=1", "a", absent},
		{"/api?a=1#%zz", "a", absent},
		{"/api?a=\x01", "a", absent},
		{":api?a=1", "a", absent},
	} {
		body := []byte(`{"kind":"Event","auditID":"a","stageTimestamp":"2025-01-02T03:04:05Z","requestURI":` + quote(tc.uri) + `}`)
		x := compile(t, New(Options{}), "ka.uri.param["+tc.param+"]")
		decodeOne(t, body, func(e *Event) {
			if diff := cmp.Diff(tc.want, texts(x(e, nil))); diff != "" {
				t.Errorf("%s [%s] (-want +got):\n%s", tc.uri, tc.param, diff)
			}
		})
	}
}

// quote returns s as a JSON string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// A container that does not set securityContext.privileged is not
// privileged (the fuzzer found this case panicking).
func TestContainerPrivilegedUnset(t *testing.T) {
	x := compile(t, New(Options{}), "ka.req.container.privileged")
	for body, want := range map[string]string{
		`{"containers":[{}]}`: "false",
		`{"containers":[{"securityContext":{}},{"securityContext":{"privileged":false}}]}`: "false",
		`{"containers":[{},{"securityContext":{"privileged":true}}]}`:                      "true",
	} {
		ev := `{"kind":"Event","auditID":"a","stageTimestamp":"2026-01-01T00:00:00Z","requestObject":{"spec":` + body + `}}`
		decodeOne(t, []byte(ev), func(e *Event) {
			if got := texts(x(e, nil)); len(got) != 1 || got[0] != want {
				t.Errorf("%s: %v, want %s", body, got, want)
			}
		})
	}
}
