package rules

import "github.com/palisade-dev/palisade/internal/core/image"

// imageDigests reads each container's image. Allowed: a reference that
// pins a digest ("redis@sha256:…", "redis:7@sha256:…").

func init() {
	register(&Rule{
		ID:    "imageDigests",
		Title: "Container image not pinned by digest",
		Description: "Flags a container whose image names no digest (@sha256:…), and an invalid image reference. " +
			"A tag can be moved to other content at any time; a digest names exactly the image that was reviewed, scanned and signed.",
		Sources: []Source{
			{productGatekeeper, "imagedigests (K8sImageDigests)"},
		},
		Severity: Medium, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		New: func(any) (Check, error) {
			return imageCheck(func(r image.Ref) bool { return r.Digest == "" }, "not pinned by digest"), nil
		},
	})
}
