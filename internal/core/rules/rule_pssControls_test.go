package rules

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
	psapolicy "k8s.io/pod-security-admission/policy"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// pssControlCase is one pod checked by one per-control rule. A failing case
// names the reason Pod Security Admission gives; its finding must be the
// one podSecurityStandard reports for that reason at the same level and
// version.
type pssControlCase struct {
	rule, name string
	level      string // "" for a single-level control
	version    string // "" for latest
	pod        string // the pod spec in flow YAML
	fail       string // the reason; "" when the pod passes
}

// pssCtr is a container named app with the given securityContext.
func pssCtr(sc string) string {
	return `{name: app, image: busybox, securityContext: ` + sc + `}`
}

// The cases follow the Pod Security Standards page: each control's allowed
// values pass, a value outside them fails.
var pssControlCases = []pssControlCase{
	{rule: "pssAllowPrivilegeEscalation", name: "false is allowed", pod: `{containers: [` + pssCtr(`{allowPrivilegeEscalation: false}`) + `]}`},
	{rule: "pssAllowPrivilegeEscalation", name: "unset is refused", pod: `{containers: [` + oneContainer + `]}`, fail: "allowPrivilegeEscalation != false"},
	{rule: "pssAllowPrivilegeEscalation", name: "Windows pods are exempt", pod: `{os: {name: windows}, containers: [` + oneContainer + `]}`},

	{rule: "pssAppArmorProfile", name: "RuntimeDefault", pod: `{securityContext: {appArmorProfile: {type: RuntimeDefault}}, containers: [` + oneContainer + `]}`},
	{rule: "pssAppArmorProfile", name: "Localhost", pod: `{containers: [` + pssCtr(`{appArmorProfile: {type: Localhost, localhostProfile: k8s-apparmor}}`) + `]}`},
	{rule: "pssAppArmorProfile", name: "Unconfined", pod: `{containers: [` + pssCtr(`{appArmorProfile: {type: Unconfined}}`) + `]}`, fail: "forbidden AppArmor profile"},

	{rule: "pssCapabilities", name: "baseline: the default set", level: "baseline", pod: `{containers: [` + pssCtr(`{capabilities: {add: [CHOWN, NET_BIND_SERVICE, SETUID]}}`) + `]}`},
	{rule: "pssCapabilities", name: "baseline: NET_RAW is not in it", level: "baseline", pod: `{containers: [` + pssCtr(`{capabilities: {add: [NET_RAW]}}`) + `]}`, fail: "non-default capabilities"},
	{rule: "pssCapabilities", name: "baseline does not require drop", level: "baseline", pod: `{containers: [` + oneContainer + `]}`},
	{rule: "pssCapabilities", name: "restricted: drop ALL, add NET_BIND_SERVICE", level: "restricted", pod: `{containers: [` + pssCtr(`{capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}`) + `]}`},
	{rule: "pssCapabilities", name: "restricted: drop ALL is required", level: "restricted", pod: `{containers: [` + oneContainer + `]}`, fail: "unrestricted capabilities"},
	{rule: "pssCapabilities", name: "restricted: CHOWN is refused", level: "restricted", pod: `{containers: [` + pssCtr(`{capabilities: {drop: [ALL], add: [CHOWN]}}`) + `]}`, fail: "unrestricted capabilities"},
	{rule: "pssCapabilities", name: "restricted v1.21 is the baseline form", level: "restricted", version: "v1.21", pod: `{containers: [` + oneContainer + `]}`},
	{rule: "pssCapabilities", name: "restricted v1.21 refuses SYS_ADMIN", level: "restricted", version: "v1.21", pod: `{containers: [` + pssCtr(`{capabilities: {add: [SYS_ADMIN]}}`) + `]}`, fail: "non-default capabilities"},

	{rule: "pssHostNamespaces", name: "unset", pod: `{containers: [` + oneContainer + `]}`},
	{rule: "pssHostNamespaces", name: "false", pod: `{hostNetwork: false, hostPID: false, hostIPC: false, containers: [` + oneContainer + `]}`},
	{rule: "pssHostNamespaces", name: "hostIPC", pod: `{hostIPC: true, containers: [` + oneContainer + `]}`, fail: "host namespaces"},

	{rule: "pssHostPathVolumes", name: "emptyDir", pod: `{volumes: [{name: v, emptyDir: {}}], containers: [` + oneContainer + `]}`},
	{rule: "pssHostPathVolumes", name: "hostPath", pod: `{volumes: [{name: v, hostPath: {path: /var/run}}], containers: [` + oneContainer + `]}`, fail: "hostPath volumes"},

	{rule: "pssHostPorts", name: "containerPort only", pod: `{containers: [{name: app, image: busybox, ports: [{containerPort: 80}]}]}`},
	{rule: "pssHostPorts", name: "hostPort", pod: `{containers: [{name: app, image: busybox, ports: [{containerPort: 80, hostPort: 8080}]}]}`, fail: "hostPort"},

	{rule: "pssHostProbesAndHostLifecycle", name: "no host", pod: `{containers: [{name: app, image: busybox, livenessProbe: {httpGet: {port: 80}}}]}`},
	{rule: "pssHostProbesAndHostLifecycle", name: "probe host", pod: `{containers: [{name: app, image: busybox, livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}}]}`, fail: "probe or lifecycle host"},
	{rule: "pssHostProbesAndHostLifecycle", name: "lifecycle host", pod: `{containers: [{name: app, image: busybox, lifecycle: {preStop: {tcpSocket: {host: example.com, port: 80}}}}]}`, fail: "probe or lifecycle host"},
	{rule: "pssHostProbesAndHostLifecycle", name: "not checked before v1.34", version: "v1.33", pod: `{containers: [{name: app, image: busybox, livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}}]}`},

	{rule: "pssPrivileged", name: "false", pod: `{containers: [` + pssCtr(`{privileged: false}`) + `]}`},
	{rule: "pssPrivileged", name: "true", pod: `{containers: [` + pssCtr(`{privileged: true}`) + `]}`, fail: "privileged"},

	{rule: "pssProcMount", name: "baseline: Default", level: "baseline", pod: `{containers: [` + pssCtr(`{procMount: Default}`) + `]}`},
	{rule: "pssProcMount", name: "baseline: Unmasked", level: "baseline", pod: `{containers: [` + pssCtr(`{procMount: Unmasked}`) + `]}`, fail: "procMount"},
	{rule: "pssProcMount", name: "baseline: Unmasked in a user namespace", level: "baseline", pod: `{hostUsers: false, containers: [` + pssCtr(`{procMount: Unmasked}`) + `]}`},
	{rule: "pssProcMount", name: "restricted: Unmasked in a user namespace", level: "restricted", pod: `{hostUsers: false, containers: [` + pssCtr(`{procMount: Unmasked}`) + `]}`, fail: "procMount"},

	{rule: "pssRestrictedVolumes", name: "core volume types", pod: `{volumes: [{name: a, configMap: {name: c}}, {name: b, secret: {secretName: s}}, {name: c, persistentVolumeClaim: {claimName: pvc}}, {name: d}], containers: [` + oneContainer + `]}`},
	{rule: "pssRestrictedVolumes", name: "nfs", pod: `{volumes: [{name: v, nfs: {server: nfs.example.com, path: /}}], containers: [` + oneContainer + `]}`, fail: "restricted volume types"},
	{rule: "pssRestrictedVolumes", name: "hostPath", pod: `{volumes: [{name: v, hostPath: {path: /}}], containers: [` + oneContainer + `]}`, fail: "restricted volume types"},

	{rule: "pssRunAsNonRoot", name: "pod sets true", pod: `{securityContext: {runAsNonRoot: true}, containers: [` + oneContainer + `]}`},
	{rule: "pssRunAsNonRoot", name: "unset", pod: `{containers: [` + oneContainer + `]}`, fail: "runAsNonRoot != true"},
	{rule: "pssRunAsNonRoot", name: "container overrides to false", pod: `{securityContext: {runAsNonRoot: true}, containers: [` + pssCtr(`{runAsNonRoot: false}`) + `]}`, fail: "runAsNonRoot != true"},

	{rule: "pssRunAsUser", name: "non-zero", pod: `{securityContext: {runAsUser: 1000}, containers: [` + oneContainer + `]}`},
	{rule: "pssRunAsUser", name: "zero", pod: `{containers: [` + pssCtr(`{runAsUser: 0}`) + `]}`, fail: "runAsUser=0"},
	{rule: "pssRunAsUser", name: "not checked before v1.23", version: "v1.22", pod: `{containers: [` + pssCtr(`{runAsUser: 0}`) + `]}`},

	{rule: "pssSeLinuxOptions", name: "container_t", pod: `{securityContext: {seLinuxOptions: {type: container_t, level: "s0:c123,c456"}}, containers: [` + oneContainer + `]}`},
	{rule: "pssSeLinuxOptions", name: "spc_t", pod: `{containers: [` + pssCtr(`{seLinuxOptions: {type: spc_t}}`) + `]}`, fail: "seLinuxOptions"},
	{rule: "pssSeLinuxOptions", name: "a custom user", pod: `{securityContext: {seLinuxOptions: {user: system_u}}, containers: [` + oneContainer + `]}`, fail: "seLinuxOptions"},

	{rule: "pssSeccompProfile", name: "baseline: unset", level: "baseline", pod: `{containers: [` + oneContainer + `]}`},
	{rule: "pssSeccompProfile", name: "baseline: Unconfined", level: "baseline", pod: `{containers: [` + pssCtr(`{seccompProfile: {type: Unconfined}}`) + `]}`, fail: "seccompProfile"},
	{rule: "pssSeccompProfile", name: "restricted: RuntimeDefault", level: "restricted", pod: `{securityContext: {seccompProfile: {type: RuntimeDefault}}, containers: [` + oneContainer + `]}`},
	{rule: "pssSeccompProfile", name: "restricted: unset", level: "restricted", pod: `{containers: [` + oneContainer + `]}`, fail: "seccompProfile"},

	{rule: "pssSysctls", name: "a safe sysctl", pod: `{securityContext: {sysctls: [{name: kernel.shm_rmid_forced, value: "1"}]}, containers: [` + oneContainer + `]}`},
	{rule: "pssSysctls", name: "an unsafe sysctl", pod: `{securityContext: {sysctls: [{name: kernel.msgmax, value: "65536"}]}, containers: [` + oneContainer + `]}`, fail: "forbidden sysctls"},
	{rule: "pssSysctls", name: "tcp_rmem is safe from v1.32", version: "v1.32", pod: `{securityContext: {sysctls: [{name: net.ipv4.tcp_rmem, value: "4096 87380 16777216"}]}, containers: [` + oneContainer + `]}`},
	{rule: "pssSysctls", name: "tcp_rmem is not before", version: "v1.31", pod: `{securityContext: {sysctls: [{name: net.ipv4.tcp_rmem, value: "4096 87380 16777216"}]}, containers: [` + oneContainer + `]}`, fail: "forbidden sysctls"},

	{rule: "pssWindowsHostProcess", name: "false", pod: `{securityContext: {windowsOptions: {hostProcess: false}}, containers: [` + oneContainer + `]}`},
	{rule: "pssWindowsHostProcess", name: "true", pod: `{hostNetwork: true, securityContext: {windowsOptions: {hostProcess: true}}, containers: [` + oneContainer + `]}`, fail: "hostProcess"},
}

func (tc pssControlCase) props() string {
	props := `{"version":"latest"`
	if tc.version != "" {
		props = `{"version":"` + tc.version + `"`
	}
	if tc.level != "" {
		props += `,"level":"` + tc.level + `"`
	}
	return props + "}"
}

func TestPSSControls(t *testing.T) {
	for _, tc := range pssControlCases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			in := objectInput(t, podYAML(tc.pod))
			got := ruleCheck(t, tc.rule, tc.props())(in)
			if tc.fail == "" {
				if len(got) > 0 {
					t.Fatalf("want no finding, got %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Value != tc.fail {
				t.Fatalf("want one finding %q, got %+v", tc.fail, got)
			}
			// The whole level, at the control's level and version, reports the
			// same finding for this control.
			level := tc.level
			if level == "" {
				level = pssControlLevel(t, tc.rule)
			}
			version := tc.version
			if version == "" {
				version = "latest"
			}
			whole := ruleCheck(t, "podSecurityStandard", `{"level":"`+level+`","version":"`+version+`"}`)(in)
			i := slices.IndexFunc(whole, func(f Finding) bool { return f.Value == tc.fail })
			if i < 0 {
				t.Fatalf("podSecurityStandard %s:%s does not report %q: %+v", level, version, tc.fail, whole)
			}
			if diff := cmp.Diff(whole[i], got[0]); diff != "" {
				t.Errorf("finding differs from podSecurityStandard's (-whole +control):\n%s", diff)
			}
		})
	}
}

// pssControlLevel is the level of a single-check control's check.
func pssControlLevel(t *testing.T, id string) string {
	t.Helper()
	for _, c := range pssControls {
		if c.id != id {
			continue
		}
		ev, err := newPSSControlEvaluator(c.checks)
		if err != nil {
			t.Fatal(err)
		}
		return string(ev.level)
	}
	t.Fatalf("no control %s", id)
	return ""
}

// Every Pod Security Admission check belongs to exactly one control rule,
// every control rule has a passing and a failing case, and a control with
// two checks is one baseline and one restricted check.
func TestPSSControlsCoverKubernetesChecks(t *testing.T) {
	owner := map[psapolicy.CheckID]string{}
	for _, c := range pssControls {
		for _, id := range c.checks {
			if prev, ok := owner[id]; ok {
				t.Errorf("check %s: in %s and %s", id, prev, c.id)
			}
			owner[id] = c.id
		}
		if _, err := newPSSControlEvaluator(c.checks); err != nil {
			t.Errorf("%s: %v", c.id, err)
		}
		var pass, fail bool
		for _, tc := range pssControlCases {
			if tc.rule == c.id {
				pass, fail = pass || tc.fail == "", fail || tc.fail != ""
			}
		}
		if !pass || !fail {
			t.Errorf("%s: want a passing and a failing case (pass %v, fail %v)", c.id, pass, fail)
		}
	}
	for _, c := range psapolicy.DefaultChecks() {
		if _, ok := owner[c.ID]; !ok {
			t.Errorf("Kubernetes check %s (%s) has no per-control rule", c.ID, c.Level)
		}
		for _, c2 := range pssControls {
			if len(c2.checks) == 2 && c2.checks[0] == c.ID && c.Level != "baseline" {
				t.Errorf("%s: first check %s is %s, want baseline", c2.id, c.ID, c.Level)
			}
			if len(c2.checks) == 2 && c2.checks[1] == c.ID && c.Level != "restricted" {
				t.Errorf("%s: second check %s is %s, want restricted", c2.id, c.ID, c.Level)
			}
		}
	}
}

func TestPSSControlExcludedContainers(t *testing.T) {
	check := ruleCheck(t, "pssPrivileged", "")
	in := objectInput(t, podYAML(`{containers: [`+oneContainer+`, {name: istio, image: istio/proxyv2, securityContext: {privileged: true}}]}`))
	if got := check(in); len(got) != 1 {
		t.Fatalf("all containers: want one finding, got %+v", got)
	}
	in.Containers = []*workload.Container{in.Containers[0]}
	if got := check(in); len(got) != 0 {
		t.Errorf("privileged container excluded: want no finding, got %+v", got)
	}
}

func TestPSSControlParamsValidate(t *testing.T) {
	path := field.NewPath("properties")
	for _, tc := range []struct {
		name string
		p    interface {
			Validate(*field.Path) field.ErrorList
		}
		want int
	}{
		{"defaults", &PSSControlParams{Version: "latest"}, 0},
		{"a minor version", &PSSControlParams{Version: "v1.30"}, 0},
		{"no v", &PSSControlParams{Version: "1.30"}, 1},
		{"level restricted", &PSSLevelControlParams{Level: "restricted", Version: "v1.25"}, 0},
		{"level privileged", &PSSLevelControlParams{Level: "privileged", Version: "latest"}, 1},
		{"both wrong", &PSSLevelControlParams{Level: "", Version: "x"}, 2},
	} {
		if got := tc.p.Validate(path); len(got) != tc.want {
			t.Errorf("%s: want %d errors, got %v", tc.name, tc.want, got)
		}
	}
}

// BenchmarkPodSecurity compares one control with its whole level on a pod
// the restricted level accepts.
func BenchmarkPodSecurity(b *testing.B) {
	in := objectInput(b, restrictedPod(`{name: app, image: busybox, securityContext: `+restrictedSC+`}`))
	for _, bc := range []struct{ name, rule, props string }{
		{"level=restricted", "podSecurityStandard", `{"level":"restricted"}`},
		{"level=baseline", "podSecurityStandard", `{"level":"baseline"}`},
		{"control=pssSeccompProfile/restricted", "pssSeccompProfile", `{"level":"restricted"}`},
		{"control=pssPrivileged", "pssPrivileged", ""},
		{"controls=all16/restricted", "", ""},
	} {
		var check Check
		if bc.rule == "" {
			check = pssAllControls(b)
		} else {
			check = ruleCheck(b, bc.rule, bc.props)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if fs := check(in); len(fs) != 0 {
					b.Fatalf("compliant pod: %+v", fs)
				}
			}
		})
	}
}

// pssAllControls is every per-control rule at the restricted level, as one
// check.
func pssAllControls(b *testing.B) Check {
	var checks []Check
	for _, c := range pssControls {
		props := ""
		if len(c.checks) > 1 {
			props = `{"level":"restricted"}`
		}
		checks = append(checks, ruleCheck(b, c.id, props))
	}
	return func(in *Input) []Finding {
		var out []Finding
		for _, c := range checks {
			out = append(out, c(in)...)
		}
		return out
	}
}
