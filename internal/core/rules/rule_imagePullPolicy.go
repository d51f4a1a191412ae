package rules

// imagePullPolicy reads each container's imagePullPolicy, and its image's
// tag when the policy is unset (Kubernetes then defaults it to Always for
// :latest and IfNotPresent otherwise). Allowed: the values in allowed.

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

var pullPolicies = []string{string(corev1.PullAlways), string(corev1.PullIfNotPresent), string(corev1.PullNever)}

// ImagePullPolicyParams configures imagePullPolicy.
type ImagePullPolicyParams struct {
	Allowed []string `json:"allowed" doc:"pull policies a container may use: Always, IfNotPresent, Never"`
}

// Validate implements the properties check.
func (p *ImagePullPolicyParams) Validate(path *field.Path) field.ErrorList {
	return validateChoices(path.Child("allowed"), p.Allowed, pullPolicies)
}

// effectivePullPolicy is the pull policy Kubernetes gives container c.
func effectivePullPolicy(c *workload.Container) (policy string, defaulted bool) {
	if c.C.ImagePullPolicy != "" {
		return string(c.C.ImagePullPolicy), false
	}
	if c.Image.Tag == "latest" {
		return string(corev1.PullAlways), true
	}
	return string(corev1.PullIfNotPresent), true
}

func init() {
	register(&Rule{
		ID:    "imagePullPolicy",
		Title: "Container image pull policy not allowed",
		Description: "Flags a container whose imagePullPolicy is not in allowed; an unset policy counts as the one Kubernetes defaults " +
			"(Always for :latest or no tag, IfNotPresent otherwise). " +
			"Pulling Always makes the kubelet check the registry's credentials on every start, so a pod cannot run a private image " +
			"another pod left on the node, and a moved tag is picked up.",
		Sources: []Source{
			{productKyverno, "imagepullpolicy-always"},
			{productPolaris, "pullPolicyNotAlways"},
		},
		Severity: Low, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any { return &ImagePullPolicyParams{Allowed: []string{string(corev1.PullAlways)}} },
		New: func(p any) (Check, error) {
			allowed := p.(*ImagePullPolicyParams).Allowed
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					pp, defaulted := effectivePullPolicy(c)
					if slices.Contains(allowed, pp) {
						continue
					}
					f := ContainerFinding("container", c, "imagePullPolicy", pp)
					f.Detail = "not in the allowed pull policies " + quoteList(allowed)
					if defaulted {
						f.Detail = "unset, so " + pp + " for this image; " + f.Detail
					}
					out = append(out, f)
				}
				return out
			}, nil
		},
	})
}
