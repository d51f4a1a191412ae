package node

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// helm runs the Helm that installed the release.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(env.clusterDir, "helm"), append([]string{"--kubeconfig", env.kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func client(t *testing.T) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", env.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 500, 500
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An agent replica deleted during an admission storm, ten times over: with
// two replicas, failurePolicy Fail and the agent's drain on shutdown, no
// request fails.
func TestAgentKilledDuringAdmissionStorm(t *testing.T) {
	const ns = "node-storm"
	namespace(t, ns)
	helm(t, "upgrade", "palisade", filepath.Join(env.root, "deploy/helm/palisade"), "-n", releaseNS, "--reuse-values",
		"--set", "webhook.failurePolicy=Fail", "--wait", "--timeout", "3m")
	t.Cleanup(func() {
		helm(t, "upgrade", "palisade", filepath.Join(env.root, "deploy/helm/palisade"), "-n", releaseNS, "--reuse-values",
			"--set", "webhook.failurePolicy=Ignore", "--wait", "--timeout", "3m")
	})
	usePolicy(t, "storm", blockPrivileged)
	c := client(t)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "storm-", Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: busybox}}}}
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var failures []string
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { stop(); wg.Wait() }) // also when a round fails
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, err := c.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				if err == nil {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				mu.Lock()
				if len(failures) < 5 {
					failures = append(failures, err.Error())
				}
				mu.Unlock()
			}
		}()
	}
	for i := range 10 {
		ips := agentIPs(t)
		pods := strings.Fields(mustKubectl(t, "", "get", "pods", "-n", releaseNS, "-l", agentLabels, "-o", "jsonpath={.items[*].metadata.name}"))
		if len(ips) != 2 || len(pods) != 2 {
			stop()
			wg.Wait()
			t.Fatalf("round %d: want 2 ready agents, have pods %v (ready %v)", i, pods, ips)
		}
		mustKubectl(t, "", "delete", "pod", "-n", releaseNS, pods[i%2], "--wait=false")
		eventually(t, 90*time.Second, fmt.Sprintf("round %d: the replacement Ready and the deleted replica gone", i), func() bool {
			names := strings.Fields(kubectl(context.Background(), "", "get", "pods", "-n", releaseNS, "-l", agentLabels, "-o", "jsonpath={.items[*].metadata.name}").stdout)
			return len(names) == 2 && len(agentIPs(t)) == 2
		})
	}
	stop()
	wg.Wait()
	t.Logf("admission requests during 10 replica deletions: %d answered, %d failed", ok.Load(), failed.Load())
	if ok.Load() == 0 {
		t.Fatal("no request was answered")
	}
	if failed.Load() != 0 {
		t.Errorf("%d requests failed under failurePolicy Fail, e.g.:\n%s", failed.Load(), strings.Join(failures, "\n"))
	}
}
