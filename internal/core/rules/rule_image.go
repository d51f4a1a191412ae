package rules

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// ImageParams is a condition on one part of a container's image reference.
type ImageParams struct {
	Operator string   `json:"operator" required:"true" doc:"equals, notEquals, contains, notContains, startsWith, endsWith or matches (RE2)"`
	Values   []string `json:"values" required:"true" doc:"values compared with the image part; one match is enough (none, for notEquals and notContains)"`
}

// Validate implements the properties check.
func (p *ImageParams) Validate(path *field.Path) field.ErrorList {
	return policy.ValidateImageCriteria(policy.ImageCriteria{Operator: p.Operator, Values: p.Values}, path)
}

func imageRule(id string, part image.Part, title, example string) *Rule {
	return &Rule{
		ID:    id,
		Title: title,
		Description: "Flags containers whose image " + string(part) + " satisfies the condition (" + example + "). " +
			"References are normalised first (busybox is docker.io/library/busybox:latest), so a crafted reference cannot slip past; " +
			"an invalid reference is always flagged.",
		Sources: []Source{trendMicro(id)}, Severity: Medium, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any { return &ImageParams{} },
		New: func(p any) (Check, error) {
			ip := p.(*ImageParams)
			cond, err := image.NewCondition(ip.Operator, ip.Values)
			if err != nil {
				return nil, err
			}
			detail := ""
			if part != image.PartPath {
				detail = string(part) + " " + ip.Operator + " " + quoteList(ip.Values)
			}
			return imageCheck(func(r image.Ref) bool { return cond.Match(r.Get(part)) }, detail), nil
		},
	}
}

func init() {
	register(
		imageRule("imageRegistry", image.PartRegistry, "Image from a registry matching the condition", `registry notEquals ["myregistry.azurecr.io"]`),
		imageRule("imageName", image.PartName, "Image whose name matches the condition", `name contains ["dev"]`),
		imageRule("imageTag", image.PartTag, "Image whose tag matches the condition", `tag equals ["latest"]`),
		imageRule("imagePath", image.PartPath, "Image whose full reference matches the condition", `path startsWith ["docker.io/"]`),
	)
}

// imageCheck flags every in-scope container whose image bad reports, with
// detail, and every invalid image reference: those fail closed.
func imageCheck(bad func(image.Ref) bool, detail string) Check {
	return func(in *Input) []Finding {
		var out []Finding
		for _, c := range in.Containers {
			switch {
			case c.Image.Err != nil:
				f := ContainerFinding("image", c, "image", c.Image.Raw)
				f.Detail = "invalid image reference"
				out = append(out, f)
			case bad(c.Image):
				f := ContainerFinding("image", c, "image", c.Image.Path)
				f.Detail = detail
				out = append(out, f)
			}
		}
		return out
	}
}
