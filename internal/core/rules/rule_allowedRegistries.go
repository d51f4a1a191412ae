package rules

import (
	"regexp"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/memo"
)

// AllowedRegistriesParams configures allowedRegistries.
type AllowedRegistriesParams struct {
	Regex string `json:"regex" doc:"RE2 expression an image's normalised reference (docker.io/library/redis:latest) must match, e.g. ^[^/]+\\.azurecr\\.io/.+$; the default matches nothing, so every image is flagged until it is set"`
}

// Validate implements the properties check.
func (p *AllowedRegistriesParams) Validate(path *field.Path) field.ErrorList {
	if _, err := regexp.Compile(p.Regex); err != nil {
		return field.ErrorList{field.Invalid(path.Child("regex"), p.Regex, "not a valid RE2 expression: "+err.Error())}
	}
	return nil
}

func init() {
	register(&Rule{
		ID:    "allowedRegistries",
		Title: "Image not from a trusted registry",
		Description: "Flags a container whose normalised image reference does not match regex, and every invalid image reference. " +
			"Images from known, monitored registries limit the risk of unknown vulnerabilities and malicious images.",
		Sources: []Source{azurePolicy("Kubernetes cluster containers should only use allowed images"), owaspK04}, Severity: High, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any { return &AllowedRegistriesParams{Regex: `^(.+){0}$`} },
		New: func(p any) (Check, error) {
			expr := p.(*AllowedRegistriesParams).Regex
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, err
			}
			m := memo.NewRegexp(re)
			return imageCheck(func(r image.Ref) bool { return !m.MatchString(r.Path) },
				"not from an allowed registry (regex "+expr+")"), nil
		},
	})
}
