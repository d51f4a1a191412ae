// Command gencorpus writes a deterministic corpus of realistic Kubernetes
// manifests for scan-throughput benchmarks (see hack/bench/compare.sh).
//
//	go run ./hack/bench/gencorpus -n 10000 -out /tmp/corpus
//
// Exactly -n objects are written: most files hold one object, about one file
// in ten is a multi-document "app bundle" (ServiceAccount, workload, Service,
// sometimes an Ingress). Output depends only on -n and -seed.
//
// With -files K the same objects are written as K multi-document files
// instead (consecutive files of the plan joined with "---"), the shape of
// a repository that keeps one big manifest per application:
//
//	go run ./hack/bench/gencorpus -n 3000 -files 30 -out /tmp/bundles
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

var (
	kinds   = []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Service", "ServiceAccount", "Ingress"}
	weights = []int{12, 30, 8, 6, 6, 6, 16, 10, 6} // per-kind share for single-object files
	ns      = []string{"default", "prod", "staging", "payments", "monitoring", "kube-system", "ingress", "data", "ml", "web"}
	apps    = []string{"api", "web", "worker", "cache", "db", "gateway", "auth", "billing", "search", "metrics", "queue", "frontend"}
	images  = []string{
		"nginx:1.27", "nginx", "redis:7.2-alpine", "postgres:16", "busybox:latest",
		"docker.io/library/nginx:1.27.3", "docker.io/bitnami/redis:7.2", "docker.io/grafana/grafana:11.1.0",
		"ghcr.io/acme/api:v1.4.2", "ghcr.io/acme/worker:latest", "ghcr.io/fluxcd/source-controller:v1.3.0",
		"acmeprod.azurecr.io/payments/billing:2.8.1", "acmedev.azurecr.io/web/frontend:sha-3f9a1c2",
		"registry.k8s.io/pause:3.9", "quay.io/prometheus/node-exporter:v1.8.1",
		"ghcr.io/acme/auth@sha256:4c1e2b8f0d7a9e3c6b5a4f2e1d0c9b8a7f6e5d4c3b2a1908f7e6d5c4b3a2f1e0",
	}
)

type file struct {
	idx   int
	kinds []string
}

func main() {
	n := flag.Int("n", 10000, "number of Kubernetes objects to write")
	out := flag.String("out", "corpus", "output directory (created if missing)")
	seed := flag.Uint64("seed", 1, "random seed")
	joined := flag.Int("files", 0, "write the objects as this many multi-document files (0: one file per object or bundle)")
	flag.Parse()
	if *n < 0 {
		fatal(fmt.Errorf("-n must be >= 0"))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fatal(err)
	}
	files := plan(*n, *seed)
	if *joined > 0 {
		if err := writeJoined(*out, files, *joined, *seed); err != nil {
			fatal(err)
		}
		fmt.Fprintf(os.Stderr, "gencorpus: wrote %d objects in %d multi-document files to %s\n", *n, min(*joined, len(files)), *out)
		return
	}
	jobs := make(chan file, 256)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < max(2, runtime.GOMAXPROCS(0)*2); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for f := range jobs {
				buf.Reset()
				r := rand.New(rand.NewPCG(*seed, uint64(f.idx)+1))
				render(&buf, r, f)
				name := filepath.Join(*out, fmt.Sprintf("%05d-%s.yaml", f.idx, strings.ToLower(f.kinds[0])))
				if len(f.kinds) > 1 {
					name = filepath.Join(*out, fmt.Sprintf("%05d-bundle.yaml", f.idx))
				}
				if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, f := range files {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		fatal(err)
	default:
	}
	fmt.Fprintf(os.Stderr, "gencorpus: wrote %d objects in %d files to %s\n", *n, len(files), *out)
}

// writeJoined writes the planned files as k multi-document files, each
// holding a run of consecutive planned files.
func writeJoined(out string, files []file, k int, seed uint64) error {
	k = min(k, len(files))
	var buf bytes.Buffer
	for i := range k {
		buf.Reset()
		for j, f := range files[i*len(files)/k : (i+1)*len(files)/k] {
			if j > 0 {
				buf.WriteString("---\n")
			}
			render(&buf, rand.New(rand.NewPCG(seed, uint64(f.idx)+1)), f)
		}
		if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("%03d-joined.yaml", i)), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// plan decides, deterministically, which objects go into which file.
func plan(n int, seed uint64) []file {
	r := rand.New(rand.NewPCG(seed, 0))
	total := 0
	for _, w := range weights {
		total += w
	}
	var files []file
	for left := n; left > 0; {
		f := file{idx: len(files)}
		if left >= 4 && r.IntN(10) == 0 {
			f.kinds = []string{"ServiceAccount", []string{"Deployment", "StatefulSet", "DaemonSet"}[r.IntN(3)], "Service"}
			if r.IntN(2) == 0 {
				f.kinds = append(f.kinds, "Ingress")
			}
		} else {
			x := r.IntN(total)
			for i, w := range weights {
				if x < w {
					f.kinds = []string{kinds[i]}
					break
				}
				x -= w
			}
		}
		left -= len(f.kinds)
		files = append(files, f)
	}
	return files
}

func render(b *bytes.Buffer, r *rand.Rand, f file) {
	app := fmt.Sprintf("%s-%d", apps[r.IntN(len(apps))], f.idx)
	namespace := ns[r.IntN(len(ns))]
	for i, k := range f.kinds {
		if i > 0 {
			b.WriteString("---\n")
		}
		name := app
		if len(f.kinds) == 1 {
			name = fmt.Sprintf("%s-%s", app, strings.ToLower(k))
		}
		api := map[string]string{"Pod": "v1", "Service": "v1", "ServiceAccount": "v1", "Job": "batch/v1",
			"CronJob": "batch/v1", "Ingress": "networking.k8s.io/v1"}[k]
		if api == "" {
			api = "apps/v1"
		}
		fmt.Fprintf(b, "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n    app: %s\n    app.kubernetes.io/part-of: bench\n",
			api, k, name, namespace, app)
		if r.IntN(4) == 0 {
			fmt.Fprintf(b, "  annotations:\n    owner: team-%d@example.com\n", r.IntN(20))
		}
		switch k {
		case "Pod":
			b.WriteString("spec:\n")
			podSpec(b, r, "  ", app, false)
		case "Deployment", "StatefulSet":
			fmt.Fprintf(b, "spec:\n  replicas: %d\n", 1+r.IntN(5))
			if k == "StatefulSet" {
				fmt.Fprintf(b, "  serviceName: %s\n", app)
			}
			fmt.Fprintf(b, "  selector:\n    matchLabels:\n      app: %s\n", app)
			template(b, r, "  ", app, false)
		case "DaemonSet":
			fmt.Fprintf(b, "spec:\n  selector:\n    matchLabels:\n      app: %s\n", app)
			template(b, r, "  ", app, false)
		case "Job":
			fmt.Fprintf(b, "spec:\n  backoffLimit: %d\n", r.IntN(6))
			template(b, r, "  ", app, true)
		case "CronJob":
			fmt.Fprintf(b, "spec:\n  schedule: \"%d */%d * * *\"\n  jobTemplate:\n    spec:\n", r.IntN(60), 1+r.IntN(6))
			template(b, r, "      ", app, true)
		case "Service":
			typ := []string{"ClusterIP", "ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"}[r.IntN(5)]
			fmt.Fprintf(b, "spec:\n  type: %s\n  selector:\n    app: %s\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n", typ, app)
		case "ServiceAccount":
			fmt.Fprintf(b, "automountServiceAccountToken: %t\n", r.IntN(2) == 0)
		case "Ingress":
			fmt.Fprintf(b, "spec:\n  ingressClassName: nginx\n  rules:\n  - host: %s.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: %s\n            port:\n              number: 80\n", app, app)
			if r.IntN(2) == 0 {
				fmt.Fprintf(b, "  tls:\n  - hosts:\n    - %s.example.com\n    secretName: %s-tls\n", app, app)
			}
		}
	}
}

func template(b *bytes.Buffer, r *rand.Rand, in, app string, batch bool) {
	fmt.Fprintf(b, "%stemplate:\n%s  metadata:\n%s    labels:\n%s      app: %s\n%s  spec:\n", in, in, in, in, app, in)
	podSpec(b, r, in+"    ", app, batch)
}

func podSpec(b *bytes.Buffer, r *rand.Rand, in, app string, batch bool) {
	p := func(pct int) bool { return r.IntN(100) < pct }
	if batch {
		fmt.Fprintf(b, "%srestartPolicy: %s\n", in, []string{"Never", "OnFailure"}[r.IntN(2)])
	}
	if p(60) {
		fmt.Fprintf(b, "%sserviceAccountName: %s\n", in, app)
	}
	for _, h := range []string{"hostPID", "hostNetwork", "hostIPC"} {
		if p(4) {
			fmt.Fprintf(b, "%s%s: true\n", in, h)
		}
	}
	if p(50) {
		fmt.Fprintf(b, "%ssecurityContext:\n%s  runAsNonRoot: true\n%s  runAsUser: %d\n", in, in, in, 1000+r.IntN(9000))
		if p(60) {
			fmt.Fprintf(b, "%s  seccompProfile:\n%s    type: RuntimeDefault\n", in, in)
		}
	}
	hostPath := p(6)
	if p(20) {
		fmt.Fprintf(b, "%sinitContainers:\n", in)
		container(b, r, in, "init", 0, hostPath, true)
	}
	fmt.Fprintf(b, "%scontainers:\n", in)
	for i, nc := 0, 1+r.IntN(3)/2+r.IntN(3)/2; i < nc; i++ {
		container(b, r, in, []string{"app", "sidecar", "proxy"}[i], 8080+i, hostPath && i == 0, false)
	}
	fmt.Fprintf(b, "%svolumes:\n%s- name: tmp\n%s  emptyDir: {}\n", in, in, in)
	if hostPath {
		path := []string{"/var/run/docker.sock", "/var/log", "/", "/etc/kubernetes", "/proc"}[r.IntN(5)]
		fmt.Fprintf(b, "%s- name: host\n%s  hostPath:\n%s    path: %s\n", in, in, in, path)
	}
}

func container(b *bytes.Buffer, r *rand.Rand, in, name string, port int, hostPath, init bool) {
	p := func(pct int) bool { return r.IntN(100) < pct }
	fmt.Fprintf(b, "%s- name: %s\n%s  image: %s\n", in, name, in, images[r.IntN(len(images))])
	c := in + "  "
	if p(30) {
		fmt.Fprintf(b, "%simagePullPolicy: %s\n", c, []string{"Always", "IfNotPresent"}[r.IntN(2)])
	}
	if !init {
		fmt.Fprintf(b, "%sports:\n%s- containerPort: %d\n%s  name: %s\n", c, c, port, c, []string{"http", "admin", "metrics"}[port-8080])
		if p(50) {
			fmt.Fprintf(b, "%sreadinessProbe:\n%s  httpGet:\n%s    path: /ready\n%s    port: %d\n", c, c, c, c, port)
		}
		if p(40) {
			fmt.Fprintf(b, "%slivenessProbe:\n%s  httpGet:\n%s    path: /healthz\n%s    port: %d\n", c, c, c, c, port)
		}
	} else {
		fmt.Fprintf(b, "%scommand: [\"sh\", \"-c\", \"echo init\"]\n", c)
	}
	if p(25) {
		fmt.Fprintf(b, "%senv:\n%s- name: LOG_LEVEL\n%s  value: info\n", c, c, c)
	}
	switch x := r.IntN(10); {
	case x < 3: // no resources at all
	case x < 5:
		fmt.Fprintf(b, "%sresources:\n%s  requests:\n%s    cpu: %dm\n%s    memory: %dMi\n", c, c, c, 50*(1+r.IntN(8)), c, 64*(1+r.IntN(8)))
	default:
		fmt.Fprintf(b, "%sresources:\n%s  requests:\n%s    cpu: %dm\n%s    memory: %dMi\n%s  limits:\n%s    cpu: %dm\n%s    memory: %dMi\n",
			c, c, c, 100, c, 128, c, c, 200*(1+r.IntN(5)), c, 256*(1+r.IntN(4)))
	}
	var sc bytes.Buffer
	if p(5) {
		fmt.Fprintf(&sc, "%s  privileged: true\n", c)
	} else if p(60) {
		fmt.Fprintf(&sc, "%s  allowPrivilegeEscalation: false\n", c)
	}
	if p(45) {
		fmt.Fprintf(&sc, "%s  readOnlyRootFilesystem: true\n", c)
	}
	if p(50) {
		fmt.Fprintf(&sc, "%s  runAsNonRoot: true\n%s  runAsUser: %d\n", c, c, 10000+r.IntN(1000))
	}
	switch y := r.IntN(20); {
	case y < 8:
		fmt.Fprintf(&sc, "%s  capabilities:\n%s    drop: [\"ALL\"]\n", c, c)
	case y == 8:
		fmt.Fprintf(&sc, "%s  capabilities:\n%s    add: [\"NET_ADMIN\", \"SYS_ADMIN\"]\n", c, c)
	}
	if sc.Len() > 0 {
		fmt.Fprintf(b, "%ssecurityContext:\n", c)
		b.Write(sc.Bytes())
	}
	fmt.Fprintf(b, "%svolumeMounts:\n%s- name: tmp\n%s  mountPath: /tmp\n", c, c, c)
	if hostPath {
		fmt.Fprintf(b, "%s- name: host\n%s  mountPath: /host\n", c, c)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gencorpus:", err)
	os.Exit(1)
}
