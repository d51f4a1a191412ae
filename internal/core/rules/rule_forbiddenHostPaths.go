package rules

// forbiddenHostPaths reads spec.volumes[*].hostPath.path. Allowed: an
// absolute path outside /proc that is neither one of paths nor a directory
// above one, compared after path.Clean.

import (
	"path"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// containerRuntimeSockets are the sockets of Docker, containerd, CRI-O and
// cri-dockerd, under /var/run and under /run, which it links to.
var containerRuntimeSockets = []string{
	"/var/run/docker.sock", "/run/docker.sock",
	"/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
	"/var/run/crio/crio.sock", "/run/crio/crio.sock",
	"/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock",
}

// ForbiddenHostPathsParams configures forbiddenHostPaths.
type ForbiddenHostPathsParams struct {
	Paths []string `json:"paths" doc:"absolute host paths no hostPath volume may mount, nor any directory above them (mounting /var/run exposes /var/run/docker.sock)"`
}

// Validate implements the properties check.
func (p *ForbiddenHostPathsParams) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(p.Paths) == 0 {
		errs = append(errs, field.Required(fp.Child("paths"), "name at least one host path"))
	}
	for i, s := range p.Paths {
		if !strings.HasPrefix(s, "/") {
			errs = append(errs, field.Invalid(fp.Child("paths").Index(i), s, "must be an absolute path"))
		}
	}
	return errs
}

// evasiveHostPath says why a host path reaches any forbidden path whatever
// the list ("" when it does not): /proc and what is below it (the host's
// /proc/1/root is its whole filesystem, /proc/1/root/run/docker.sock the
// socket), and a path that is not absolute (the API server accepts one;
// what it resolves to is up to the runtime).
func evasiveHostPath(p string) string {
	switch c := path.Clean(p); {
	case !strings.HasPrefix(p, "/"):
		return "mounts a path that is not absolute, which the forbidden paths cannot be compared with"
	case c == "/proc" || strings.HasPrefix(c, "/proc/"):
		return "mounts the host's /proc, through which /proc/1/root reaches every host path"
	}
	return ""
}

func init() {
	register(&Rule{
		ID:    "forbiddenHostPaths",
		Title: "Host path volume mounts a forbidden path",
		Description: "Flags a hostPath volume whose path is one of paths or a directory above one, comparing paths after cleaning them " +
			"(a trailing slash, // and .. do not hide /var/run/docker.sock). " +
			"The default paths are the Docker, containerd, CRI-O and cri-dockerd sockets under /var/run, which Kyverno's disallow-container-sock-mounts refuses by exact path, and under /run, which /var/run links to; " +
			"a directory above them (/var/run, /run/containerd, /var, /) is refused too, since mounting it exposes the socket. " +
			"Whatever the paths, /proc and anything below it are refused (/proc/1/root is the host's root, so /proc/1/root/run/containerd/containerd.sock is the socket), and so is a path that is not absolute. " +
			"A container that reaches the runtime's socket can start a privileged container: it controls the node.",
		Sources:  []Source{{productKyverno, "disallow-container-sock-mounts"}},
		Severity: High, Tabs: podTabs, Targets: TargetPod,
		Params: func() any {
			return &ForbiddenHostPathsParams{Paths: append([]string(nil), containerRuntimeSockets...)}
		},
		New: func(p any) (Check, error) {
			paths := p.(*ForbiddenHostPathsParams).Paths
			return func(in *Input) []Finding {
				var out []Finding
				for i, v := range in.Pod().Spec.Volumes {
					if v.HostPath == nil {
						continue
					}
					if detail := evasiveHostPath(v.HostPath.Path); detail != "" {
						f := PodFinding(in, "pod", "volumes["+strconv.Itoa(i)+"].hostPath.path", v.HostPath.Path)
						f.Detail = "hostPath volume " + strconv.Quote(v.Name) + " " + detail
						out = append(out, f)
						continue
					}
					for _, denied := range paths {
						if !underPrefix(v.HostPath.Path, denied) {
							continue
						}
						detail := "hostPath volume " + strconv.Quote(v.Name) + " mounts " + path.Clean(denied)
						if path.Clean(v.HostPath.Path) != path.Clean(denied) {
							detail = "hostPath volume " + strconv.Quote(v.Name) + " mounts a directory above " + path.Clean(denied)
						}
						f := PodFinding(in, "pod", "volumes["+strconv.Itoa(i)+"].hostPath.path", v.HostPath.Path)
						f.Detail = detail
						out = append(out, f)
						break
					}
				}
				return out
			}, nil
		},
	})
}
