package rules

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/validation/field"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
)

// One rule per Pod Security Standards control, so that a policy can
// enforce one control without its whole level. Each is evaluated by Pod
// Security Admission's own check for that control (selected by its check
// ID from psapolicy.DefaultChecks, at the version the policy names) and
// reports through pssCheck, the code path of podSecurityStandard: the same
// excluded containers, API-server defaulting and findings.
//
// A rule's ID is "pss" followed by the check's ID in Pod Security
// Admission, its first letter upper-cased and its level suffix dropped
// ("seccompProfile_restricted" → pssSeccompProfile). Where a control has a
// baseline and a restricted variant (capabilities, procMount,
// seccompProfile), the level is a property. The prefix keeps the IDs
// distinct from Palisade's own rules of the same concern (privileged,
// runAsNonRoot, allowPrivilegeEscalation), whose semantics differ.

// PSSControlParams selects the version of a Pod Security Standards control.
type PSSControlParams struct {
	Version string `json:"version" doc:"latest, or the Kubernetes minor version whose standard applies (v1.N)"`
}

// Validate implements the properties check.
func (p *PSSControlParams) Validate(path *field.Path) field.ErrorList {
	return validatePSSVersion(path.Child("version"), p.Version)
}

// PSSLevelControlParams selects the level and version of a Pod Security
// Standards control that both levels restrict, differently.
type PSSLevelControlParams struct {
	Level   string `json:"level" doc:"baseline or restricted: which level's form of the control applies"`
	Version string `json:"version" doc:"latest, or the Kubernetes minor version whose standard applies (v1.N)"`
}

// Validate implements the properties check.
func (p *PSSLevelControlParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !slices.Contains(pssLevels, p.Level) {
		errs = append(errs, field.NotSupported(path.Child("level"), p.Level, pssLevels))
	}
	return append(errs, validatePSSVersion(path.Child("version"), p.Version)...)
}

// pssControl is one Pod Security Standards control.
type pssControl struct {
	id, title string
	// control names it as the Pod Security Standards page does, with the
	// levels that list it ("Baseline policy: Host Namespaces").
	control string
	// checks are Pod Security Admission's check IDs for the control: one,
	// or the baseline and the restricted variant.
	checks   []psapolicy.CheckID
	severity Severity
	// allowed says which fields the control restricts and the values it
	// allows, from the Pod Security Standards page.
	allowed string
}

var pssControls = []pssControl{
	{id: "pssAllowPrivilegeEscalation", title: "Container allows privilege escalation (Pod Security Standards)",
		control: "Restricted policy: Privilege Escalation", checks: []psapolicy.CheckID{"allowPrivilegeEscalation"}, severity: Medium,
		allowed: "Restricted fields: spec.containers[*], initContainers[*] and ephemeralContainers[*] securityContext.allowPrivilegeEscalation. " +
			"Allowed values: false (unset is refused). Since v1.25 Windows pods (spec.os.name: windows) are exempt."},
	{id: "pssAppArmorProfile", title: "Pod overrides the default AppArmor profile (Pod Security Standards)",
		control: "Baseline policy: AppArmor", checks: []psapolicy.CheckID{"appArmorProfile"}, severity: Medium,
		allowed: "Restricted fields: spec.securityContext.appArmorProfile.type and every container's securityContext.appArmorProfile.type, " +
			"allowed values RuntimeDefault, Localhost or unset; the annotations container.apparmor.security.beta.kubernetes.io/*, " +
			"allowed values runtime/default, localhost/*, empty or unset. Unconfined is refused."},
	{id: "pssCapabilities", title: "Container adds capabilities the Pod Security Standards forbid",
		control: "Baseline and Restricted policies: Capabilities", checks: []psapolicy.CheckID{"capabilities_baseline", "capabilities_restricted"}, severity: High,
		allowed: "Restricted fields: every container's securityContext.capabilities.add (and, at restricted, .drop). " +
			"Baseline allows adding only capabilities of the default set: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, " +
			"NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT. Restricted (v1.22+) requires drop to include ALL and allows adding " +
			"only NET_BIND_SERVICE; since v1.25 Windows pods are exempt. Before v1.22, restricted applies the baseline form."},
	{id: "pssHostNamespaces", title: "Pod shares a host namespace (Pod Security Standards)",
		control: "Baseline policy: Host Namespaces", checks: []psapolicy.CheckID{"hostNamespaces"}, severity: High,
		allowed: "Restricted fields: spec.hostNetwork, spec.hostPID, spec.hostIPC. Allowed values: false or unset."},
	{id: "pssHostPathVolumes", title: "Pod mounts a hostPath volume (Pod Security Standards)",
		control: "Baseline policy: HostPath Volumes", checks: []psapolicy.CheckID{"hostPathVolumes"}, severity: High,
		allowed: "Restricted field: spec.volumes[*].hostPath. Allowed value: unset."},
	{id: "pssHostPorts", title: "Container uses a host port (Pod Security Standards)",
		control: "Baseline policy: Host Ports", checks: []psapolicy.CheckID{"hostPorts"}, severity: Medium,
		allowed: "Restricted fields: every container's ports[*].hostPort. Allowed values: 0 or unset " +
			"(in a Pod with hostNetwork, an unset hostPort defaults to the containerPort, as the API server does)."},
	{id: "pssHostProbesAndHostLifecycle", title: "Probe or lifecycle handler targets another host (Pod Security Standards)",
		control: "Baseline policy: Host Probes / Lifecycle Hooks", checks: []psapolicy.CheckID{"hostProbesAndHostLifecycle"}, severity: Medium,
		allowed: "Restricted fields: every container's livenessProbe, readinessProbe and startupProbe httpGet.host and tcpSocket.host, " +
			"and lifecycle.postStart and preStop httpGet.host and tcpSocket.host. Allowed values: empty or unset. From v1.34; earlier versions do not check it."},
	{id: "pssPrivileged", title: "Privileged container (Pod Security Standards)",
		control: "Baseline policy: Privileged Containers", checks: []psapolicy.CheckID{"privileged"}, severity: Critical,
		allowed: "Restricted fields: every container's securityContext.privileged. Allowed values: false or unset."},
	{id: "pssProcMount", title: "Container unmasks /proc (Pod Security Standards)",
		control: "Baseline and Restricted policies: /proc Mount Type", checks: []psapolicy.CheckID{"procMount", "procMount_restricted"}, severity: Medium,
		allowed: "Restricted fields: every container's securityContext.procMount. Allowed values: Default or unset; " +
			"baseline allows any value in a pod with its own user namespace (hostUsers: false) from v1.35, restricted (v1.35+) never does."},
	{id: "pssRestrictedVolumes", title: "Pod uses a volume type the restricted Pod Security Standard forbids",
		control: "Restricted policy: Volume Types", checks: []psapolicy.CheckID{"restrictedVolumes"}, severity: Medium,
		allowed: "Restricted fields: spec.volumes[*]. Allowed volume types: configMap, csi, downwardAPI, emptyDir, ephemeral, image, " +
			"persistentVolumeClaim, projected, secret; every other inline source (hostPath, nfs, iscsi, gitRepo, flexVolume, ...) is refused. " +
			"A volume without a source is an emptyDir, as the API server defaults it."},
	{id: "pssRunAsNonRoot", title: "Container may run as root (Pod Security Standards)",
		control: "Restricted policy: Running as Non-root", checks: []psapolicy.CheckID{"runAsNonRoot"}, severity: High,
		allowed: "Restricted fields: spec.securityContext.runAsNonRoot and every container's securityContext.runAsNonRoot. " +
			"Allowed values: true; unset on a container when the pod sets true; any value in a pod with its own user namespace (hostUsers: false) from v1.35."},
	{id: "pssRunAsUser", title: "Container runs as user 0 (Pod Security Standards)",
		control: "Restricted policy: Running as Non-root user", checks: []psapolicy.CheckID{"runAsUser"}, severity: High,
		allowed: "Restricted fields: spec.securityContext.runAsUser and every container's securityContext.runAsUser. " +
			"Allowed values: non-zero or unset; any value in a pod with its own user namespace (hostUsers: false) from v1.35. From v1.23; earlier versions do not check it."},
	{id: "pssSeLinuxOptions", title: "Pod sets custom SELinux options (Pod Security Standards)",
		control: "Baseline policy: SELinux", checks: []psapolicy.CheckID{"seLinuxOptions"}, severity: Medium,
		allowed: "Restricted fields: seLinuxOptions.type, .user and .role of the pod's and every container's securityContext. " +
			"Allowed type: empty, unset, container_t, container_init_t or container_kvm_t (container_engine_t too from v1.31); user and role: empty or unset."},
	{id: "pssSeccompProfile", title: "Pod's seccomp profile is not the one the Pod Security Standards require",
		control: "Baseline and Restricted policies: Seccomp", checks: []psapolicy.CheckID{"seccompProfile_baseline", "seccompProfile_restricted"}, severity: Medium,
		allowed: "Restricted fields: seccompProfile.type of the pod's and every container's securityContext (before v1.19, the seccomp annotations). " +
			"Baseline allows RuntimeDefault, Localhost or unset (Unconfined is refused). Restricted (v1.19+) requires RuntimeDefault or Localhost " +
			"on the pod or on every container; since v1.25 Windows pods are exempt."},
	{id: "pssSysctls", title: "Pod sets an unsafe sysctl (Pod Security Standards)",
		control: "Baseline policy: Sysctls", checks: []psapolicy.CheckID{"sysctls"}, severity: Medium,
		allowed: "Restricted field: spec.securityContext.sysctls[*].name. Allowed values: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, " +
			"net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start; net.ipv4.ip_local_reserved_ports from v1.27; " +
			"net.ipv4.tcp_keepalive_time, tcp_fin_timeout, tcp_keepalive_intvl and tcp_keepalive_probes from v1.29; " +
			"net.ipv4.tcp_rmem and tcp_wmem from v1.32; net.ipv4.tcp_slow_start_after_idle and tcp_notsent_lowat from v1.37."},
	{id: "pssWindowsHostProcess", title: "Pod runs a Windows HostProcess container (Pod Security Standards)",
		control: "Baseline policy: HostProcess", checks: []psapolicy.CheckID{"windowsHostProcess"}, severity: Critical,
		allowed: "Restricted fields: securityContext.windowsOptions.hostProcess of the pod and every container. Allowed values: false or unset."},
}

func init() {
	for i := range pssControls {
		register(pssControls[i].rule())
	}
}

func (c *pssControl) rule() *Rule {
	r := &Rule{
		ID: c.id, Title: c.title,
		Sources:  []Source{{productPSS, c.control}},
		Severity: c.severity, Tabs: podTabs, Targets: TargetPod,
	}
	checks := "check " + string(c.checks[0])
	if len(c.checks) > 1 {
		checks = "checks " + string(c.checks[0]) + " (baseline) and " + string(c.checks[1]) + " (restricted)"
	}
	r.Description = "Evaluates this one Pod Security Standards control exactly as Kubernetes Pod Security Admission does, " +
		"with its own " + checks + " at the chosen version, and reports the same finding podSecurityStandard does for it. " + c.allowed
	evaluator := sync.OnceValues(func() (pssControlEvaluator, error) { return newPSSControlEvaluator(c.checks) })
	if len(c.checks) == 1 {
		r.Params = func() any { return &PSSControlParams{Version: "latest"} }
		r.New = func(p any) (Check, error) {
			return newPSSControl(evaluator, "", p.(*PSSControlParams).Version)
		}
	} else {
		r.Params = func() any { return &PSSLevelControlParams{Level: "baseline", Version: "latest"} }
		r.New = func(p any) (Check, error) {
			pp := p.(*PSSLevelControlParams)
			return newPSSControl(evaluator, pp.Level, pp.Version)
		}
	}
	return r
}

// newPSSControl builds a control's check at a level and version. An empty
// level means the level of the control's only check.
func newPSSControl(evaluator func() (pssControlEvaluator, error), levelName, versionName string) (Check, error) {
	ev, err := evaluator()
	if err != nil {
		return nil, fmt.Errorf("pod security evaluator: %w", err)
	}
	level := ev.level
	if levelName != "" {
		if level, err = psaapi.ParseLevel(levelName); err != nil || level == psaapi.LevelPrivileged {
			return nil, fmt.Errorf("level %q: must be baseline or restricted", levelName)
		}
	}
	version, err := psaapi.ParseVersion(versionName)
	if err != nil {
		return nil, fmt.Errorf("version %q: %w", versionName, err)
	}
	return pssCheck(ev.Evaluator, psaapi.LevelVersion{Level: level, Version: version}), nil
}

// pssControlEvaluator is Pod Security Admission's evaluator over one
// control's checks: its own version selection (the newest implementation
// not newer than the version asked for, none before the check existed)
// and overrides (at restricted, the restricted variant replaces the
// baseline one from the version it exists).
type pssControlEvaluator struct {
	psapolicy.Evaluator
	// level is the highest level of the control's checks.
	level psaapi.Level
}

// newPSSControlEvaluator selects the checks with these IDs from
// Kubernetes' default checks, and fails when one is missing (a renamed
// check after an upgrade of k8s.io/pod-security-admission).
func newPSSControlEvaluator(ids []psapolicy.CheckID) (pssControlEvaluator, error) {
	all := psapolicy.DefaultChecks()
	var checks []psapolicy.Check
	level := psaapi.LevelBaseline
	for _, id := range ids {
		i := slices.IndexFunc(all, func(c psapolicy.Check) bool { return c.ID == id })
		if i < 0 {
			return pssControlEvaluator{}, fmt.Errorf("pod security check %q: not among Kubernetes' checks", id)
		}
		c := all[i]
		if c.Level == psaapi.LevelRestricted {
			level = psaapi.LevelRestricted
		}
		checks = append(checks, c)
	}
	ev, err := psapolicy.NewEvaluator(checks, nil)
	if err != nil {
		return pssControlEvaluator{}, fmt.Errorf("checks %s: %w", strings.Join(checkIDStrings(ids), ", "), err)
	}
	return pssControlEvaluator{ev, level}, nil
}

func checkIDStrings(ids []psapolicy.CheckID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
