package rules

import (
	"context"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/image/trust"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// Signatures verifies image signatures: imagesNotSigned reads it.
// *signature.Verifier implements it.
type Signatures interface {
	Verify(ctx context.Context, t *trust.Trust, req trust.Request) trust.Result
}

// CachedSignatures is a Signatures that can also answer from memory
// alone (ok false: only the registry can tell). verifyImages asks it
// first, and starts a lookup only for the images it does not know.
type CachedSignatures interface {
	Cached(t *trust.Trust, req trust.Request) (r trust.Result, ok bool)
}

// SignerIdentity is a keyless signer, as Sigstore's Fulcio certifies it.
type SignerIdentity struct {
	Issuer        string `json:"issuer,omitempty" doc:"the OIDC issuer, exactly (https://token.actions.githubusercontent.com)"`
	IssuerRegExp  string `json:"issuerRegExp,omitempty" doc:"or an RE2 expression the whole issuer must match"`
	Subject       string `json:"subject,omitempty" doc:"the subject, exactly: an email or a workflow URI"`
	SubjectRegExp string `json:"subjectRegExp,omitempty" doc:"or an RE2 expression the whole subject must match"`
}

// RegistryCondition limits a rule to the images whose registry matches.
type RegistryCondition struct {
	Operator string   `json:"operator" doc:"equals, notEquals, contains, notContains, startsWith, endsWith or matches (RE2)"`
	Values   []string `json:"values" doc:"registry hosts (ghcr.io, myregistry.azurecr.io)"`
}

// ImagesNotSignedParams configures imagesNotSigned.
type ImagesNotSignedParams struct {
	Keys           []string           `json:"keys" required:"true" doc:"PEM public keys (cosign.pub); a signature made with any of them passes. Give keys, identities or both"`
	Identities     []SignerIdentity   `json:"identities" required:"true" doc:"keyless signers, each {issuer or issuerRegExp, subject or subjectRegExp}; a Sigstore certificate for any of them passes. Give keys, identities or both"`
	Registries     *RegistryCondition `json:"registries,omitempty" doc:"the rule applies only to images whose registry satisfies this condition {operator, values}; absent: every image"`
	MutateToDigest bool               `json:"mutateToDigest" doc:"pin each verified image to the digest that was verified (image: name:tag@sha256:...) through the agent's mutating webhook, so the node runs what was checked; off by default (docs/image-signatures.md)"`
}

// Validate implements the properties check.
func (p *ImagesNotSignedParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(p.Keys) == 0 && len(p.Identities) == 0 {
		errs = append(errs, field.Required(path.Child("keys"), "keys or identities (or both): what a signature must verify against"))
	}
	for i, k := range p.Keys {
		if _, err := trust.New([]string{k}, nil); err != nil {
			errs = append(errs, field.Invalid(path.Child("keys").Index(i), shortPEM(k), strings.TrimPrefix(err.Error(), "keys[0]: ")))
		}
	}
	for i, id := range p.Identities {
		if _, err := trust.New(nil, []trust.Identity{id.identity()}); err != nil {
			errs = append(errs, field.Invalid(path.Child("identities").Index(i), id, strings.TrimPrefix(err.Error(), "identities[0]: ")))
		}
	}
	if p.Registries != nil {
		errs = append(errs, policy.ValidateImageCriteria(policy.ImageCriteria{Operator: p.Registries.Operator, Values: p.Registries.Values}, path.Child("registries"))...)
	}
	return errs
}

func (id SignerIdentity) identity() trust.Identity {
	return trust.Identity{Issuer: id.Issuer, IssuerRegExp: id.IssuerRegExp, Subject: id.Subject, SubjectRegExp: id.SubjectRegExp}
}

// shortPEM shows a key in an error without printing all of it.
func shortPEM(k string) string {
	if len(k) > 60 {
		return k[:60] + "..."
	}
	return k
}

func init() {
	register(&Rule{
		ID:    "imagesNotSigned",
		Title: "Image without a trusted signature",
		Description: "Flags containers whose image carries no Sigstore (cosign) signature that verifies against one of the keys or keyless identities. " +
			"Tags are resolved to digests and the signature must be on that digest; verdicts are cached. " +
			"A registry that cannot be asked within the admission budget gives the finding \"could not verify: <reason>\", and the rule's action decides. " +
			"Registry credentials come from the pod's imagePullSecrets, then the agent's own (docs/image-signatures.md).",
		Sources: []Source{{productCloudNative, "Image Signing and Enforcement"}}, Severity: High, Tabs: deploymentOnly, Targets: TargetPod, Signatures: true, ContainersOnly: true,
		Params: func() any { return &ImagesNotSignedParams{Keys: []string{}, Identities: []SignerIdentity{}} },
		New:    newImagesNotSigned,
	})
}

func newImagesNotSigned(p any) (Check, error) {
	pp := p.(*ImagesNotSignedParams)
	ids := make([]trust.Identity, len(pp.Identities))
	for i, id := range pp.Identities {
		ids[i] = id.identity()
	}
	ts, err := trust.New(pp.Keys, ids)
	if err != nil {
		return nil, err
	}
	var registries *image.Condition
	if pp.Registries != nil {
		if registries, err = image.NewCondition(pp.Registries.Operator, pp.Registries.Values); err != nil {
			return nil, err
		}
	}
	pin := pp.MutateToDigest
	return func(in *Input) []Finding {
		var todo []*workload.Container
		for _, c := range in.Containers {
			if registries == nil || c.Image.Err != nil || registries.Match(c.Image.Registry) {
				todo = append(todo, c)
			}
		}
		if len(todo) == 0 {
			return nil
		}
		results := verifyImages(in, ts, todo)
		var out []Finding
		for i, c := range todo {
			r := results[i]
			switch {
			case c.Image.Err != nil:
				f := ContainerFinding("image", c, "image", c.Image.Raw)
				f.Detail = "invalid image reference"
				out = append(out, f)
			case r.Status == trust.Signed:
				if pin && in.PinDigest != nil && c.Image.Digest == "" {
					in.PinDigest(c, r.Digest)
				}
			case r.Status == trust.NotSigned:
				f := ContainerFinding("image", c, "image", c.Image.Path)
				f.Detail = r.Detail
				out = append(out, f)
			default:
				f := ContainerFinding("image", c, "image", c.Image.Path)
				f.Detail = "could not verify: " + r.Detail
				out = append(out, f)
			}
		}
		return out
	}, nil
}

// registryRequest is what a request to a registry for in's pod needs: the
// review's context and the names of the pod's pull secrets.
func (in *Input) registryRequest() (context.Context, []string) {
	ctx := in.Context
	if ctx == nil {
		ctx = context.Background()
	}
	var secrets []string
	if pod := in.Pod(); pod != nil {
		for _, s := range pod.Spec.ImagePullSecrets {
			secrets = append(secrets, s.Name)
		}
	}
	return ctx, secrets
}

// verifyImages verifies the containers' images, each distinct image once and
// distinct images at the same time: a cold pod waits for its slowest
// registry, not for the sum of them.
func verifyImages(in *Input, ts *trust.Trust, cs []*workload.Container) []trust.Result {
	out := make([]trust.Result, len(cs))
	if in.Signatures == nil {
		for i := range out {
			out[i] = trust.Result{Status: trust.Unverified, Detail: "no registry access here (signatures are verified by the agent and by palisade scan)"}
		}
		return out
	}
	ctx, secrets := in.registryRequest()
	first := map[string]int{} // image → index of the first container with it
	var wg sync.WaitGroup
	for i, c := range cs {
		if c.Image.Err != nil {
			continue
		}
		if _, ok := first[c.Image.Raw]; ok {
			continue
		}
		first[c.Image.Raw] = i
		req := trust.Request{Image: c.Image, Namespace: in.Namespace, PullSecrets: secrets}
		if cv, ok := in.Signatures.(CachedSignatures); ok {
			if r, ok := cv.Cached(ts, req); ok {
				out[i] = r
				continue
			}
		}
		if len(cs) == 1 {
			out[i] = in.Signatures.Verify(ctx, ts, req)
			continue
		}
		wg.Go(func() { out[i] = in.Signatures.Verify(ctx, ts, req) })
	}
	wg.Wait()
	for i, c := range cs {
		if j, ok := first[c.Image.Raw]; ok && j != i {
			out[i] = out[j]
		}
	}
	return out
}
