package sensor

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/palisade-dev/palisade/internal/core/falco/syscall"
)

// containers resolves container ids (from the probe's cgroup names) to
// what the container runtime says of them over CRI: name, image, pod,
// labels. Results are cached; an id the runtime does not know yet is
// asked again after retryUnknown.
type containers struct {
	cri     runtimeapi.RuntimeServiceClient
	timeout time.Duration
	log     *slog.Logger
	byID    map[string]*entry
	now     func() time.Time
}

type entry struct {
	c       *syscall.Container
	checked time.Time
	known   bool
}

const retryUnknown = 2 * time.Second

// dialCRI connects to a CRI runtime endpoint (unix:///run/containerd/containerd.sock).
func dialCRI(endpoint string) (*grpc.ClientConn, error) {
	if !strings.Contains(endpoint, "://") {
		endpoint = "unix://" + endpoint
	}
	return grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

func newContainers(conn *grpc.ClientConn, log *slog.Logger) *containers {
	c := &containers{timeout: 2 * time.Second, log: log, byID: map[string]*entry{}, now: time.Now}
	if conn != nil {
		c.cri = runtimeapi.NewRuntimeServiceClient(conn)
	}
	return c
}

// get returns the container with this full id; nil for "" (the host).
// Without a runtime, or before the runtime knows the id, the container
// has its id only.
func (cs *containers) get(id string) *syscall.Container {
	if id == "" {
		return nil
	}
	e := cs.byID[id]
	if e != nil && (e.known || cs.cri == nil || cs.now().Sub(e.checked) < retryUnknown) {
		return e.c
	}
	if e == nil {
		e = &entry{c: &syscall.Container{ID: id[:12], FullID: id}}
		cs.byID[id] = e
	}
	e.checked = cs.now()
	if cs.cri != nil {
		if c, err := cs.ask(id); err != nil {
			cs.log.Debug("container runtime does not know the container yet", "container", id[:12], "err", err)
		} else {
			// Threads already hold e.c: fill it in place.
			*e.c = *c
			e.known = true
		}
	}
	return e.c
}

// forget drops containers not seen since before, so a long-running sensor
// does not keep every container it ever saw.
func (cs *containers) forget(before time.Time) {
	for id, e := range cs.byID {
		if e.checked.Before(before) {
			delete(cs.byID, id)
		}
	}
}

func (cs *containers) ask(id string) (*syscall.Container, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cs.timeout)
	defer cancel()
	st, err := cs.cri.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if err != nil {
		return nil, err
	}
	s := st.GetStatus()
	c := &syscall.Container{ID: id[:12], FullID: id, Type: "containerd", Labels: s.GetLabels(),
		Name: s.GetMetadata().GetName(), ImageID: s.GetImageRef(), StartTS: s.GetCreatedAt()}
	c.Image = s.GetImage().GetUserSpecifiedImage()
	if c.Image == "" {
		c.Image = s.GetImage().GetImage()
	}
	c.ImageRepository, c.ImageTag, c.ImageDigest = splitImage(c.Image)
	if c.ImageDigest == "" {
		if _, d, ok := strings.Cut(s.GetImageRef(), "@"); ok {
			c.ImageDigest = d
		} else if strings.HasPrefix(s.GetImageRef(), "sha256:") {
			c.ImageDigest = s.GetImageRef()
		}
	}
	for _, m := range s.GetMounts() {
		c.Mounts = append(c.Mounts, syscall.Mount{Source: m.GetHostPath(), Dest: m.GetContainerPath(),
			ReadWrite: !m.GetReadonly(), Propagation: propagation(m.GetPropagation())})
	}
	var info struct {
		SandboxID string `json:"sandboxID"`
		Config    struct {
			Linux struct {
				SecurityContext struct {
					Privileged bool `json:"privileged"`
				} `json:"security_context"`
			} `json:"linux"`
		} `json:"config"`
	}
	if raw := st.GetInfo()["info"]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &info) // best effort: the verbose info is runtime-specific
	}
	c.Privileged = info.Config.Linux.SecurityContext.Privileged
	if name := c.Labels["io.kubernetes.pod.name"]; name != "" {
		c.Pod = &syscall.Pod{Name: name, Namespace: c.Labels["io.kubernetes.pod.namespace"],
			UID: c.Labels["io.kubernetes.pod.uid"]}
		if info.SandboxID != "" {
			cs.sandbox(ctx, info.SandboxID, c)
		}
	}
	return c, nil
}

// sandbox fills in what the pod sandbox says: the pod's labels, IP and
// host namespaces.
func (cs *containers) sandbox(ctx context.Context, id string, c *syscall.Container) {
	c.Pod.FullSandboxID, c.Pod.SandboxID = id, id[:min(12, len(id))]
	st, err := cs.cri.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id})
	if err != nil {
		cs.log.Debug("pod sandbox status", "sandbox", c.Pod.SandboxID, "err", err)
		return
	}
	s := st.GetStatus()
	c.Pod.Labels = s.GetLabels()
	c.Pod.IP = s.GetNetwork().GetIp()
	c.IP = c.Pod.IP
	ns := s.GetLinux().GetNamespaces().GetOptions()
	c.HostNetwork = ns.GetNetwork() == runtimeapi.NamespaceMode_NODE
	c.HostPID = ns.GetPid() == runtimeapi.NamespaceMode_NODE
	c.HostIPC = ns.GetIpc() == runtimeapi.NamespaceMode_NODE
}

func propagation(p runtimeapi.MountPropagation) string {
	switch p {
	case runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER:
		return "rslave"
	case runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL:
		return "rshared"
	}
	return "private"
}

// splitImage splits an image reference into repository, tag and digest,
// as the container plugin reports them (docker.io/library/nginx:1.25 →
// docker.io/library/nginx, 1.25).
func splitImage(image string) (repo, tag, digest string) {
	repo = image
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo, digest = repo[:i], repo[i+1:]
	}
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo, tag = repo[:i], repo[i+1:]
	}
	return repo, tag, digest
}
