package rules

import (
	"path"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// AllowedHostPath is one host path prefix pods may mount.
type AllowedHostPath struct {
	PathPrefix string `json:"pathPrefix" doc:"absolute host path; it allows itself and everything below it (/foo allows /foo/bar, not /foobar)"`
	ReadOnly   bool   `json:"readOnly" doc:"every container must mount volumes under this prefix readOnly"`
}

// AllowedHostPathsParams configures allowedHostPaths.
type AllowedHostPathsParams struct {
	Paths []AllowedHostPath `json:"paths" doc:"host paths pods may mount, each {pathPrefix, readOnly}; empty allows no hostPath volume"`
}

// Validate implements the properties check.
func (p *AllowedHostPathsParams) Validate(fp *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, a := range p.Paths {
		if !strings.HasPrefix(a.PathPrefix, "/") {
			errs = append(errs, field.Invalid(fp.Child("paths").Index(i).Child("pathPrefix"), a.PathPrefix, "must be an absolute path"))
		}
	}
	return errs
}

// underPrefix reports whether p is prefix or lies below it, comparing whole
// path segments.
func underPrefix(prefix, p string) bool {
	prefix, p = path.Clean(prefix), path.Clean(p)
	return prefix == "/" || p == prefix || strings.HasPrefix(p, prefix+"/")
}

// hostPathAllowance says how the allowed paths treat one host path: not
// allowed at all, allowed read-only (under the returned prefix), or allowed.
func hostPathAllowance(paths []AllowedHostPath, p string) (allowed bool, readOnlyPrefix string) {
	for _, a := range paths {
		if !underPrefix(a.PathPrefix, p) {
			continue
		}
		if !a.ReadOnly {
			return true, ""
		}
		if readOnlyPrefix == "" {
			readOnlyPrefix = a.PathPrefix
		}
	}
	return readOnlyPrefix != "", readOnlyPrefix
}

func init() {
	register(&Rule{
		ID:    "allowedHostPaths",
		Title: "Host path volume outside the allowed paths",
		Description: "Flags a hostPath volume whose path is not under an allowed pathPrefix, and a writable mount of a volume whose only matching prefixes are readOnly. " +
			"Limiting host paths limits what a compromised container can reach on the node.",
		Sources: []Source{azurePolicy("Kubernetes cluster pod hostPath volumes should only use allowed host paths")}, Severity: Medium, Tabs: podTabs, Targets: TargetPod,
		Params: func() any { return &AllowedHostPathsParams{Paths: []AllowedHostPath{}} },
		New: func(p any) (Check, error) {
			paths := p.(*AllowedHostPathsParams).Paths
			return func(in *Input) []Finding {
				var out []Finding
				readOnly := map[string]string{} // volume name → its read-only prefix
				hostPaths := map[string]string{}
				for i, v := range in.Pod().Spec.Volumes {
					if v.HostPath == nil {
						continue
					}
					ok, prefix := hostPathAllowance(paths, v.HostPath.Path)
					if !ok {
						f := PodFinding(in, "pod", "volumes["+strconv.Itoa(i)+"].hostPath.path", v.HostPath.Path)
						f.Detail = "hostPath volume " + strconv.Quote(v.Name) + " is not under an allowed path prefix"
						out = append(out, f)
						continue
					}
					if prefix != "" {
						readOnly[v.Name], hostPaths[v.Name] = prefix, v.HostPath.Path
					}
				}
				if len(readOnly) == 0 {
					return out
				}
				for _, c := range in.Containers {
					for j, m := range c.C.VolumeMounts {
						prefix, ok := readOnly[m.Name]
						if !ok || m.ReadOnly {
							continue
						}
						f := ContainerFinding("container", c, "volumeMounts["+strconv.Itoa(j)+"].readOnly", hostPaths[m.Name])
						f.Detail = "hostPath volume " + strconv.Quote(m.Name) + " is under read-only prefix " + prefix + " but mounted writable"
						out = append(out, f)
					}
				}
				return out
			}, nil
		},
	})
}
