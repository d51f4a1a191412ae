package rules

// allowedUsersAndGroups reads each container's runAsUser, runAsNonRoot and
// runAsGroup (its own, else the pod's) and the pod's fsGroup and
// supplementalGroups. Allowed: what each field's rule allows (MustRunAs:
// set and within ranges; MayRunAs: within ranges when set;
// MustRunAsNonRoot: not user 0; RunAsAny: anything).

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// The rules an IDRule may name, as PodSecurityPolicy and Gatekeeper's
// psp-allowed-users name them.
const (
	mustRunAs        = "MustRunAs"
	mustRunAsNonRoot = "MustRunAsNonRoot"
	mayRunAs         = "MayRunAs"
	runAsAny         = "RunAsAny"
)

// IDRange is an inclusive range of user or group IDs.
type IDRange struct {
	Min int64 `json:"min" doc:"the least ID allowed"`
	Max int64 `json:"max" doc:"the greatest ID allowed"`
}

// IDRule says which IDs one field may hold.
type IDRule struct {
	Rule   string    `json:"rule"`
	Ranges []IDRange `json:"ranges,omitempty"`
}

// AllowedUsersAndGroupsParams configures allowedUsersAndGroups.
type AllowedUsersAndGroupsParams struct {
	RunAsUser          IDRule `json:"runAsUser" doc:"{rule, ranges: [{min, max}]} (bounds inclusive) for each container's runAsUser (its own, else the pod's): MustRunAs (set, within a range), MustRunAsNonRoot (not 0; when unset, runAsNonRoot must be true) or RunAsAny"`
	RunAsGroup         IDRule `json:"runAsGroup" doc:"{rule, ranges: [{min, max}]} for each container's runAsGroup (its own, else the pod's): MustRunAs (set, within a range), MayRunAs (within a range when set) or RunAsAny"`
	SupplementalGroups IDRule `json:"supplementalGroups" doc:"{rule, ranges: [{min, max}]} for the pod's supplementalGroups, each group within a range: MustRunAs (at least one group), MayRunAs or RunAsAny"`
	FSGroup            IDRule `json:"fsGroup" doc:"{rule, ranges: [{min, max}]} for the pod's fsGroup: MustRunAs (set, within a range), MayRunAs (within a range when set) or RunAsAny"`
}

// Validate implements the properties check.
func (p *AllowedUsersAndGroupsParams) Validate(path *field.Path) field.ErrorList {
	groupRules := []string{mustRunAs, mayRunAs, runAsAny}
	errs := p.RunAsUser.validate(path.Child("runAsUser"), []string{mustRunAs, mustRunAsNonRoot, runAsAny})
	errs = append(errs, p.RunAsGroup.validate(path.Child("runAsGroup"), groupRules)...)
	errs = append(errs, p.SupplementalGroups.validate(path.Child("supplementalGroups"), groupRules)...)
	return append(errs, p.FSGroup.validate(path.Child("fsGroup"), groupRules)...)
}

func (r *IDRule) validate(path *field.Path, rules []string) field.ErrorList {
	var errs field.ErrorList
	ranged := r.Rule == mustRunAs || r.Rule == mayRunAs
	switch {
	case !slices.Contains(rules, r.Rule):
		errs = append(errs, field.NotSupported(path.Child("rule"), r.Rule, rules))
	case ranged && len(r.Ranges) == 0:
		errs = append(errs, field.Required(path.Child("ranges"), r.Rule+" needs at least one range of IDs"))
	case !ranged && len(r.Ranges) > 0:
		errs = append(errs, field.Forbidden(path.Child("ranges"), "only MustRunAs and MayRunAs read ranges; rule is "+r.Rule))
	}
	for i, rg := range r.Ranges {
		rp := path.Child("ranges").Index(i)
		if rg.Min < 0 {
			errs = append(errs, field.Invalid(rp.Child("min"), rg.Min, "must not be negative"))
		}
		if rg.Max < rg.Min {
			errs = append(errs, field.Invalid(rp.Child("max"), rg.Max, "must not be less than min"))
		}
	}
	return errs
}

// allows reports whether id lies within one of the ranges.
func (r *IDRule) allows(id int64) bool {
	for _, rg := range r.Ranges {
		if id >= rg.Min && id <= rg.Max {
			return true
		}
	}
	return false
}

// rangesText is the ranges as a finding shows them: "[100-200, 300-400]".
func (r *IDRule) rangesText() string {
	shown := make([]string, len(r.Ranges))
	for i, rg := range r.Ranges {
		shown[i] = fmt.Sprintf("%d-%d", rg.Min, rg.Max)
	}
	return "[" + strings.Join(shown, ", ") + "]"
}

// check tests one ID field holding id (nil when unset): it returns the
// finding's value and detail, or ok. name is the field's name.
func (r *IDRule) check(name string, id *int64) (value, detail string, ok bool) {
	switch {
	case r.Rule == runAsAny || r.Rule == mustRunAsNonRoot:
		return "", "", true
	case id == nil && r.Rule == mustRunAs:
		return "unset", name + " unset; MustRunAs requires it within " + r.rangesText(), false
	case id != nil && !r.allows(*id):
		return strconv.FormatInt(*id, 10), name + " not within " + r.Rule + " ranges " + r.rangesText(), false
	}
	return "", "", true
}

func init() {
	register(&Rule{
		ID:    "allowedUsersAndGroups",
		Title: "Container user or group IDs outside the allowed ranges",
		Description: "Flags user and group IDs that their property's rule refuses, as Gatekeeper's psp-allowed-users does. " +
			"runAsUser and runAsGroup are checked per container, on the container's securityContext value or, when it sets none, the pod's; " +
			"fsGroup and supplementalGroups exist only in the pod's securityContext and are checked once per pod. " +
			"MustRunAs flags an unset field and a value outside every range; MayRunAs flags only a set value outside every range; " +
			"for supplementalGroups every group must lie within a range, and an empty list counts as unset. " +
			"MustRunAsNonRoot (runAsUser only) flags runAsUser 0, and an unset runAsUser unless runAsNonRoot is true (container, else pod). " +
			"RunAsAny, every property's default, checks nothing. " +
			"The pod's securityContext counts for every kind with a pod template; Gatekeeper's template reads it on Pods only. " +
			"Kyverno's require-non-root-groups is runAsGroup MustRunAs with supplementalGroups and fsGroup MayRunAs, each with the range 1-2147483647. " +
			"User and group IDs decide which files of volumes and of the node's mounts a process can read and write.",
		Sources: []Source{
			{productGatekeeper, "psp-allowed-users (K8sPSPAllowedUsers)"},
			{productKyverno, "require-non-root-groups"},
		},
		Severity: Medium, Tabs: podTabs, Targets: TargetPod,
		Params: func() any {
			anyID := IDRule{Rule: runAsAny}
			return &AllowedUsersAndGroupsParams{RunAsUser: anyID, RunAsGroup: anyID, SupplementalGroups: anyID, FSGroup: anyID}
		},
		New: func(p any) (Check, error) {
			rp := *p.(*AllowedUsersAndGroupsParams)
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					out = append(out, checkRunAsUser(in, c, &rp.RunAsUser)...)
					s, ps := sc(c), podSC(in)
					group, groupField := s.RunAsGroup, containerField(c, "securityContext.runAsGroup")
					if group == nil && ps.RunAsGroup != nil {
						group, groupField = ps.RunAsGroup, podField(in, "securityContext.runAsGroup")
					}
					if v, d, ok := rp.RunAsGroup.check("runAsGroup", group); !ok {
						out = append(out, Finding{Where: "containerSecurityContext", Value: v, Container: c.C.Name, Field: groupField, Detail: d})
					}
				}
				return append(out, checkPodGroups(in, &rp.FSGroup, &rp.SupplementalGroups)...)
			}, nil
		},
	})
}

// checkRunAsUser checks container c's effective runAsUser against rule.
func checkRunAsUser(in *Input, c *workload.Container, rule *IDRule) []Finding {
	s, ps := sc(c), podSC(in)
	user, userField := s.RunAsUser, containerField(c, "securityContext.runAsUser")
	if user == nil && ps.RunAsUser != nil {
		user, userField = ps.RunAsUser, podField(in, "securityContext.runAsUser")
	}
	finding := func(value, fieldPath, detail string) []Finding {
		return []Finding{{Where: "containerSecurityContext", Value: value, Container: c.C.Name, Field: fieldPath, Detail: detail}}
	}
	if rule.Rule != mustRunAsNonRoot {
		if v, d, ok := rule.check("runAsUser", user); !ok {
			return finding(v, userField, d)
		}
		return nil
	}
	if user != nil {
		if *user == 0 {
			return finding("0", userField, "runAsUser 0 is root: MustRunAsNonRoot")
		}
		return nil
	}
	nonRoot, nonRootField := s.RunAsNonRoot, containerField(c, "securityContext.runAsNonRoot")
	if nonRoot == nil && ps.RunAsNonRoot != nil {
		nonRoot, nonRootField = ps.RunAsNonRoot, podField(in, "securityContext.runAsNonRoot")
	}
	if nonRoot == nil || !*nonRoot {
		return finding(boolValue(nonRoot), nonRootField, "neither runAsNonRoot: true nor a non-zero runAsUser is set: MustRunAsNonRoot")
	}
	return nil
}

// checkPodGroups checks the pod's fsGroup and supplementalGroups.
func checkPodGroups(in *Input, fsGroup, supplemental *IDRule) []Finding {
	var out []Finding
	flag := func(sub, value, detail string) {
		f := PodFinding(in, "podSecurityContext", "securityContext."+sub, value)
		f.Detail = detail
		out = append(out, f)
	}
	ps := podSC(in)
	if v, d, ok := fsGroup.check("fsGroup", ps.FSGroup); !ok {
		flag("fsGroup", v, d)
	}
	if len(ps.SupplementalGroups) == 0 {
		if v, d, ok := supplemental.check("supplementalGroups", nil); !ok {
			flag("supplementalGroups", v, d)
		}
	}
	for i, g := range ps.SupplementalGroups {
		if v, d, ok := supplemental.check("supplementalGroups", &g); !ok {
			flag("supplementalGroups["+strconv.Itoa(i)+"]", v, d)
		}
	}
	return out
}
