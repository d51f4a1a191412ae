// Command nodelatency measures Palisade on a real node (hack/cluster.sh),
// with a fixed count of pods, and prints p50 and max of each:
//
//   - startup: a Deployment scaled up one pod at a time, from the scale
//     request to the new pod Running, in a namespace the webhook judges and
//     in kube-system, which the chart excludes from it (the same node, the
//     same run);
//   - terminate: from a `kubectl exec -it ... sh` (client-go, a terminal
//     session) into a pod bound to the terminal-shell ruleset with action
//     terminate, to its container gone from containerd;
//   - isolate: from the same kind of exec into a web pod bound with action
//     isolate, to the moment a client pod's requests to it stop being
//     answered.
//
// The runtime path includes the API server's audit batching (at most 1 s,
// --audit-webhook-batch-max-wait). hack/bench/node.sh runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/utils/ptr"

	"github.com/palisade-dev/palisade/internal/platform/containerd"
)

const (
	benchNS = "bench-node"
	image   = "palisade.test/busybox:1"
)

type bench struct {
	cfg     *rest.Config
	c       kubernetes.Interface
	ctrSock string
}

func main() {
	dir := flag.String("cluster-dir", os.Getenv("PALISADE_CLUSTER_DIR"), "hack/cluster.sh's state folder")
	pods := flag.Int("startup-pods", 50, "pods started per namespace")
	contained := flag.Int("contain-pods", 20, "pods terminated, and pods isolated")
	flag.Parse()
	if *dir == "" {
		fail(fmt.Errorf("-cluster-dir (or PALISADE_CLUSTER_DIR) is required"))
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(*dir, "kubeconfig"))
	if err != nil {
		fail(err)
	}
	cfg.QPS, cfg.Burst = 200, 200
	rest.SetDefaultWarningHandler(rest.NoWarnings{}) // the policy logs: each pod gets warnings
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fail(err)
	}
	b := &bench{cfg: cfg, c: c, ctrSock: filepath.Join(*dir, "containerd.sock")}
	ctx := context.Background()
	if err := b.namespace(ctx); err != nil {
		fail(err)
	}
	if *pods > 0 {
		with, err := b.startup(ctx, benchNS, *pods)
		if err != nil {
			fail(err)
		}
		without, err := b.startup(ctx, "kube-system", *pods)
		if err != nil {
			fail(err)
		}
		fmt.Printf("pod Running after scale-up, %d pods, webhook judging:      %s\n", *pods, summary(with))
		fmt.Printf("pod Running after scale-up, %d pods, no webhook (kube-system): %s\n", *pods, summary(without))
	}
	term, err := b.terminate(ctx, *contained)
	if err != nil {
		fail(err)
	}
	fmt.Printf("terminal shell → container gone from containerd, %d pods:  %s\n", *contained, summary(term))
	iso, err := b.isolate(ctx, *contained)
	if err != nil {
		fail(err)
	}
	fmt.Printf("terminal shell → client's requests unanswered, %d pods:    %s\n", *contained, summary(iso))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "nodelatency:", err)
	os.Exit(1)
}

func summary(d []time.Duration) string {
	slices.Sort(d)
	return fmt.Sprintf("p50 %v  max %v", d[len(d)/2].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
}

func (b *bench) namespace(ctx context.Context) error {
	_, err := b.c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNS}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	for range 100 {
		if _, err := b.c.CoreV1().ServiceAccounts(benchNS).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no default ServiceAccount in %s", benchNS)
}

// startup scales a Deployment from 0 to n, one pod at a time, and times
// each new pod from the scale request to Running.
func (b *bench) startup(ctx context.Context, ns string, n int) ([]time.Duration, error) {
	name := "bench-startup"
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](0), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				TerminationGracePeriodSeconds: ptr.To[int64](0), AutomountServiceAccountToken: ptr.To(false),
				Containers: []corev1.Container{{Name: "c", Image: image, Command: []string{"sleep", "3600"},
					SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65534),
						AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}}}}}}
	deps := b.c.AppsV1().Deployments(ns)
	if _, err := deps.Create(ctx, d, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create deployment in %s: %w", ns, err)
	}
	defer deps.Delete(context.Background(), name, metav1.DeleteOptions{})
	running := map[string]bool{}
	var out []time.Duration
	for i := 1; i <= n; i++ {
		start := time.Now()
		patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, i)
		if _, err := deps.Patch(ctx, name, "application/merge-patch+json", []byte(patch), metav1.PatchOptions{}); err != nil {
			return nil, err
		}
		for {
			list, err := b.c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name,
				FieldSelector: fields.OneTermEqualSelector("status.phase", "Running").String()})
			if err != nil {
				return nil, err
			}
			if len(list.Items) >= i {
				for _, p := range list.Items {
					running[p.Name] = true
				}
				break
			}
			if time.Since(start) > 2*time.Minute {
				return nil, fmt.Errorf("%s: pod %d not Running after 2 minutes", ns, i)
			}
			time.Sleep(10 * time.Millisecond)
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

// shell opens a terminal session in the pod running `sh -c true`, as
// `kubectl exec -it` does.
func (b *bench) shell(ctx context.Context, ns, pod string) error {
	req := b.c.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Command: []string{"sh", "-c", "true"}, Stdout: true, TTY: true}, scheme.ParameterCodec)
	exec, err := remotecommand.NewSPDYExecutor(b.cfg, "POST", req.URL())
	if err != nil {
		return err
	}
	return exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: discard{}, Tty: true})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (b *bench) pod(ctx context.Context, name string, labels map[string]string, c corev1.Container) (*corev1.Pod, error) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: benchNS, Labels: labels},
		Spec: corev1.PodSpec{TerminationGracePeriodSeconds: ptr.To[int64](1), Containers: []corev1.Container{c}}}
	pods := b.c.CoreV1().Pods(benchNS)
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create pod %s: %w", name, err)
	}
	for start := time.Now(); time.Since(start) < 2*time.Minute; time.Sleep(50 * time.Millisecond) {
		got, err := pods.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
				return got, nil
			}
		}
	}
	return nil, fmt.Errorf("pod %s not Ready after 2 minutes", name)
}

// trapTERM: the container exits on SIGTERM (as PID 1 it would otherwise
// ignore it and wait out the grace period).
var trapTERM = []string{"sh", "-c", `trap "exit 0" TERM; while :; do sleep 1 & wait $!; done`}

func (b *bench) terminate(ctx context.Context, n int) ([]time.Duration, error) {
	var out []time.Duration
	for i := range n {
		name := fmt.Sprintf("term-%d", i)
		p, err := b.pod(ctx, name, map[string]string{"app": "bench-terminate"}, corev1.Container{Name: "c", Image: image, Command: trapTERM})
		if err != nil {
			return nil, err
		}
		id := strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "containerd://")
		start := time.Now()
		if err := b.shell(ctx, benchNS, name); err != nil {
			return nil, fmt.Errorf("exec into %s: %w", name, err)
		}
		for b.running(id) {
			if time.Since(start) > time.Minute {
				return nil, fmt.Errorf("%s: container still running a minute after the shell", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
		took := time.Since(start)
		if took > 2*time.Second {
			fmt.Fprintf(os.Stderr, "slow: %s/%s, shell at %s, gone %s later\n", benchNS, name, start.UTC().Format(time.RFC3339Nano), took)
		}
		out = append(out, took)
	}
	return out, nil
}

func (b *bench) running(id string) bool {
	running, err := containerd.Running(b.ctrSock, id)
	return err != nil || running
}

func (b *bench) isolate(ctx context.Context, n int) ([]time.Duration, error) {
	if _, err := b.pod(ctx, "client", map[string]string{"app": "bench-client"}, corev1.Container{Name: "c", Image: image, Command: trapTERM}); err != nil {
		return nil, err
	}
	var out []time.Duration
	for i := range n {
		name := fmt.Sprintf("iso-%d", i)
		p, err := b.pod(ctx, name, map[string]string{"app": "bench-isolate"}, corev1.Container{Name: "web", Image: image,
			Command: []string{"httpd", "-f", "-p", "8080", "-h", "/var/www"}, Ports: []corev1.ContainerPort{{ContainerPort: 8080}}})
		if err != nil {
			return nil, err
		}
		// The client asks again and again, and returns at the first
		// request not answered.
		watcher := exec.CommandContext(ctx, "kubectl", "--kubeconfig", kubeconfigOf(b), "exec", "-n", benchNS, "client", "--",
			"sh", "-c", "n=0; while timeout 1 wget -q -O /dev/null http://"+p.Status.PodIP+":8080/; do n=$((n+1)); done; echo $n")
		var answered strings.Builder
		watcher.Stdout = &answered
		if err := watcher.Start(); err != nil {
			return nil, err
		}
		time.Sleep(500 * time.Millisecond) // the loop is running
		start := time.Now()
		if err := b.shell(ctx, benchNS, name); err != nil {
			return nil, fmt.Errorf("exec into %s: %w", name, err)
		}
		if err := watcher.Wait(); err != nil {
			return nil, fmt.Errorf("the client's loop: %w", err)
		}
		if strings.TrimSpace(answered.String()) == "0" {
			return nil, fmt.Errorf("%s: the client never reached it", name)
		}
		took := time.Since(start)
		if took > 2*time.Second {
			fmt.Fprintf(os.Stderr, "slow: %s/%s, shell at %s, cut %s later\n", benchNS, name, start.UTC().Format(time.RFC3339Nano), took)
		}
		out = append(out, took)
		_ = b.c.CoreV1().Pods(benchNS).Delete(ctx, name, metav1.DeleteOptions{})
	}
	return out, nil
}

func kubeconfigOf(b *bench) string {
	return filepath.Join(filepath.Dir(b.ctrSock), "kubeconfig")
}
