package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/platform/containerd"
)

// The real-node demo's objects.
const (
	nodeDemoNS      = "palisade-demo-node"
	nodeReleaseNS   = "palisade-system"
	nodeAgentLabels = "app.kubernetes.io/instance=palisade,app.kubernetes.io/component=agent"
	nodeBusybox     = "palisade.test/busybox:1"
)

// The policy before and after it is tightened: the first only logs, the
// second terminates privileged containers and isolates pods sharing the
// host's PID namespace (the seed's breakout one-liner needs it).
const (
	nodeDemoLogPolicy = `apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: demo-node-log}
spec:
  clusterWide:
    continuous:
      rules:
        - {rule: privileged, action: log}
        - {rule: hostPID, action: log}
`
	nodeDemoTightPolicy = `apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: demo-node-enforce}
spec:
  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: block}
    continuous:
      rules:
        - {rule: privileged, action: terminate}
        - {rule: hostPID, action: isolate}
`
)

// runNodeDemo is `palisade demo --node`: hack/cluster.sh brings up a real
// node with Palisade installed by Helm, two pods run, the policy is
// tightened, and the demo shows one container killed and the other cut
// off, with the traffic before and after.
func runNodeDemo(ctx context.Context, cfg demoConfig, out io.Writer) (err error) {
	d := &demo{cfg: cfg, out: out}
	if d.root, err = repoRoot(); err != nil {
		return badInput(err)
	}
	if os.Geteuid() != 0 {
		return badInput(fmt.Errorf("demo --node runs containers and changes the machine's bridges and iptables rules: run it as root"))
	}
	clusterDir := filepath.Join(cfg.dir, "cluster")
	d.step("starting a real node on this machine with Palisade installed by Helm (hack/cluster.sh; the first run builds Kubernetes, ~15 min)")
	defer func() {
		if cfg.exit || err != nil || ctx.Err() != nil {
			d.step("stopping the node")
			_ = d.cluster(context.Background(), clusterDir, "down")
		}
	}()
	if err := d.cluster(ctx, clusterDir, "up"); err != nil {
		return err
	}
	d.cfg.kubeconfig = filepath.Join(clusterDir, "kubeconfig")
	if err := d.setNodePolicy(ctx, nodeDemoLogPolicy, "demo-node-log"); err != nil {
		return err
	}
	if _, err := d.kubectl(ctx, "", "create", "namespace", nodeDemoNS); err != nil {
		if out, _ := d.kubectl(ctx, "", "get", "namespace", nodeDemoNS); out == "" {
			return fmt.Errorf("create namespace %s: %w", nodeDemoNS, err)
		}
	}
	pods := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: miner, namespace: %[1]s, labels: {app: miner}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: miner, image: %[2]s, command: [sleep, "3600"], securityContext: {privileged: true}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: %[1]s, labels: {app: web}}
spec:
  hostPID: true
  terminationGracePeriodSeconds: 1
  containers:
  - {name: web, image: %[2]s, command: [httpd, -f, -p, "8080", -h, /var/www], ports: [{containerPort: 8080}],
     readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: %[1]s, labels: {app: client}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: client, image: %[2]s, command: [sleep, "3600"]}
`, nodeDemoNS, nodeBusybox)
	if out, err := d.kubectl(ctx, pods, "apply", "-f", "-"); err != nil {
		return fmt.Errorf("kubectl apply: %w: %s", err, out)
	}
	if out, err := d.kubectl(ctx, "", "wait", "--for=condition=Ready", "--timeout=90s", "-n", nodeDemoNS, "pod/miner", "pod/web", "pod/client"); err != nil {
		return fmt.Errorf("the demo's pods did not start: %w: %s", err, out)
	}
	minerID, _ := d.kubectl(ctx, "", "get", "pod", "-n", nodeDemoNS, "miner", "-o", "jsonpath={.status.containerStatuses[0].containerID}")
	webIP, _ := d.kubectl(ctx, "", "get", "pod", "-n", nodeDemoNS, "web", "-o", "jsonpath={.status.podIP}")
	url := "http://" + webIP + ":8080/"
	d.step("running: miner (privileged) as %s, web (hostPID) on %s; the policy only logs", shortID(minerID), webIP)
	fmt.Fprintf(out, "    client → web: %s\n", d.fetch(ctx, url))

	d.step("tightening the policy: privileged → terminate, hostPID → isolate")
	changed := time.Now()
	if err := d.setNodePolicy(ctx, nodeDemoTightPolicy, "demo-node-enforce"); err != nil {
		return err
	}
	loaded := time.Now()
	var killed, cut time.Duration
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && (killed == 0 || cut == 0); time.Sleep(100 * time.Millisecond) {
		if killed == 0 && !d.containerRunning(clusterDir, strings.TrimPrefix(minerID, "containerd://")) {
			killed = time.Since(loaded)
		}
		if cut == 0 {
			if label, _ := d.kubectl(ctx, "", "get", "pod", "-n", nodeDemoNS, "web", "-o", "jsonpath={.metadata.labels.palisade\\.dev/isolated}"); label == "true" &&
				cutOff(d.fetch(ctx, url)) {
				cut = time.Since(loaded)
			}
		}
	}
	d.step("the agents loaded the policy %s after the ConfigMap changed (the kubelet's refresh)", loaded.Sub(changed).Round(time.Second))
	if killed > 0 {
		fmt.Fprintf(out, "    miner: container %s gone from containerd %s later\n", shortID(minerID), killed.Round(10*time.Millisecond))
	} else {
		fmt.Fprintf(out, "    miner: still running after 60 s\n")
	}
	if cut > 0 {
		fmt.Fprintf(out, "    web: isolated %s later; client → web: %s\n", cut.Round(10*time.Millisecond), d.fetch(ctx, url))
	} else {
		fmt.Fprintf(out, "    web: not cut off after 60 s\n")
	}
	d.step("the agents' events")
	for _, e := range d.agentEvents(ctx) {
		fmt.Fprintf(out, "    %s %-10s %-9s %s/%s: %s\n", e["tab"], e["rule"], e["action"], e["namespace"], e["name"], e["message"])
	}
	if cfg.exit {
		return nil
	}
	fmt.Fprintf(out, `
The node keeps running. Try it yourself:
  export KUBECONFIG=%s
  kubectl -n %s exec -it client -- sh      # a terminal shell: see the runtime tab
  kubectl -n %s logs -l %s | grep '"msg":"event"'
Press Ctrl-C to stop it (or: PALISADE_CLUSTER_DIR=%s hack/cluster.sh down).
`, d.cfg.kubeconfig, nodeDemoNS, nodeReleaseNS, nodeAgentLabels, clusterDir)
	<-ctx.Done()
	return nil
}

// cutOff tells whether fetch's answer shows the network refusing the
// request (not kubectl or the client failing).
func cutOff(answer string) bool {
	return answer == "connection refused" || strings.HasPrefix(answer, "no answer")
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "containerd://")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// cluster runs hack/cluster.sh VERB with its state in dir.
func (d *demo) cluster(ctx context.Context, dir, verb string) error {
	return d.script(ctx, "cluster.sh", "PALISADE_CLUSTER_DIR="+dir, "cluster: "+verb, verb)
}

// setNodePolicy writes the chart's policy ConfigMap and waits until every
// agent replica reports the policy named name.
func (d *demo) setNodePolicy(ctx context.Context, policy, name string) error {
	cm, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "palisade-policy", "namespace": nodeReleaseNS},
		"data":     map[string]string{"policy.yaml": policy}})
	if out, err := d.kubectl(ctx, string(cm), "apply", "-f", "-"); err != nil {
		return fmt.Errorf("write the policy: %w: %s", err, out)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ips, _ := d.kubectl(ctx, "", "get", "pods", "-n", nodeReleaseNS, "-l", nodeAgentLabels, "-o", "jsonpath={.items[*].status.podIP}")
		all := ips != ""
		for _, ip := range strings.Fields(ips) {
			resp, err := client.Get("http://" + ip + ":9090/metrics")
			if err != nil {
				all = false
				break
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), `name="`+name+`"`) {
				all = false
			}
		}
		if all {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("the agents did not load policy %q within 2 minutes", name)
}

// fetch gets url from the client pod: "200 ...", "connection refused",
// "no answer (timed out)", or what else went wrong (which is not a cut).
func (d *demo) fetch(ctx context.Context, url string) string {
	out, err := d.kubectl(ctx, "", "exec", "-n", nodeDemoNS, "client", "--", "sh", "-c",
		"timeout 2 wget -q -O - "+url+"; echo \" exit=$?\"")
	switch {
	case err != nil:
		return "kubectl exec failed: " + out
	case strings.Contains(out, "refused"):
		return "connection refused"
	case strings.HasSuffix(out, "exit=143") || strings.HasSuffix(out, "exit=124"):
		return "no answer (timed out)"
	case strings.HasSuffix(out, "exit=0"):
		return "200 " + strings.TrimSpace(strings.TrimSuffix(out, " exit=0"))
	}
	return "request failed: " + out
}

func (d *demo) containerRunning(clusterDir, id string) bool {
	running, err := containerd.Running(filepath.Join(clusterDir, "containerd.sock"), id)
	return err != nil || running // an error says nothing: keep waiting
}

// agentEvents are the demo namespace's events from the agents' logs.
func (d *demo) agentEvents(ctx context.Context) []map[string]any {
	out, _ := d.kubectl(ctx, "", "logs", "-n", nodeReleaseNS, "-l", nodeAgentLabels, "--tail=-1")
	var events []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "event" && m["namespace"] == nodeDemoNS {
			events = append(events, m)
		}
	}
	return events
}
