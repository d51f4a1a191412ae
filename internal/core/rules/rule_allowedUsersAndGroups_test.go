package rules

import "testing"

// Cases follow Gatekeeper's psp-allowed-users sample (every field
// MustRunAs 100-200: IDs of 199 pass, 250 fail, in init and ephemeral
// containers too) and the template's rules for unset fields and for a
// container's value overriding the pod's.
func TestAllowedUsersAndGroups(t *testing.T) {
	const sample = `{runAsUser: {rule: MustRunAs, ranges: [{min: 100, max: 200}]},
		runAsGroup: {rule: MustRunAs, ranges: [{min: 100, max: 200}]},
		supplementalGroups: {rule: MustRunAs, ranges: [{min: 100, max: 200}]},
		fsGroup: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}}`
	const (
		c0User, c0Group   = "spec.containers[0].securityContext.runAsUser", "spec.containers[0].securityContext.runAsGroup"
		podUser, podGroup = "spec.securityContext.runAsUser", "spec.securityContext.runAsGroup"
		c0NonRoot         = "spec.containers[0].securityContext.runAsNonRoot"
	)
	user := func(field, value, detail string) Finding {
		return Finding{Where: "containerSecurityContext", Value: value, Container: "c", Field: field, Detail: detail}
	}
	pod := func(field, value, detail string) Finding {
		return Finding{Where: "podSecurityContext", Value: value, Field: field, Detail: detail}
	}
	seed001Cases(t, "allowedUsersAndGroups", []seed001Case{
		{name: "the defaults (RunAsAny) check nothing, root included",
			manifest: seed001Pod(`{securityContext: {runAsUser: 0, runAsGroup: 0, fsGroup: 0, supplementalGroups: [0]}, containers: [{name: c, image: nginx}]}`)},
		{name: "Gatekeeper's allowed sample", props: sample,
			manifest: seed001Pod(`{securityContext: {supplementalGroups: [199], fsGroup: 199}, containers: [{name: c, image: nginx, securityContext: {runAsUser: 199, runAsGroup: 199}}]}`)},
		{name: "Gatekeeper's disallowed sample: every container and the pod's groups", props: sample,
			manifest: seed001Pod(`{securityContext: {supplementalGroups: [250], fsGroup: 250},
				containers: [{name: nginx, image: nginx, securityContext: {runAsUser: 250, runAsGroup: 250}}],
				initContainers: [{name: init-nginx, image: nginx, securityContext: {runAsUser: 250, runAsGroup: 250}}]}`),
			want: []Finding{
				{Where: "containerSecurityContext", Value: "250", Container: "init-nginx", Field: "spec.initContainers[0].securityContext.runAsUser", Detail: "runAsUser not within MustRunAs ranges [100-200]"},
				{Where: "containerSecurityContext", Value: "250", Container: "init-nginx", Field: "spec.initContainers[0].securityContext.runAsGroup", Detail: "runAsGroup not within MustRunAs ranges [100-200]"},
				{Where: "containerSecurityContext", Value: "250", Container: "nginx", Field: "spec.containers[0].securityContext.runAsUser", Detail: "runAsUser not within MustRunAs ranges [100-200]"},
				{Where: "containerSecurityContext", Value: "250", Container: "nginx", Field: "spec.containers[0].securityContext.runAsGroup", Detail: "runAsGroup not within MustRunAs ranges [100-200]"},
				pod("spec.securityContext.fsGroup", "250", "fsGroup not within MustRunAs ranges [100-200]"),
				pod("spec.securityContext.supplementalGroups[0]", "250", "supplementalGroups not within MustRunAs ranges [100-200]"),
			}},
		{name: "Gatekeeper's disallowed ephemeral container",
			props: `{runAsUser: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx, securityContext: {runAsUser: 199}}],
				ephemeralContainers: [{name: debug, image: busybox, securityContext: {runAsUser: 250}}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "250", Container: "debug",
				Field: "spec.ephemeralContainers[0].securityContext.runAsUser", Detail: "runAsUser not within MustRunAs ranges [100-200]"}}},
		{name: "MustRunAs: unset in container and pod",
			props:    `{runAsUser: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx}]}`),
			want:     []Finding{user(c0User, "unset", "runAsUser unset; MustRunAs requires it within [100-200]")}},
		{name: "MustRunAs: the pod's value counts for a container without one",
			props:    `{runAsUser: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{securityContext: {runAsUser: 150}, containers: [{name: c, image: nginx}]}`)},
		{name: "MustRunAs: the pod's value outside the ranges is reported at the pod's field",
			props:    `{runAsUser: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{securityContext: {runAsUser: 0}, containers: [{name: c, image: nginx}]}`),
			want:     []Finding{user(podUser, "0", "runAsUser not within MustRunAs ranges [100-200]")}},
		{name: "a container's value overrides an allowed pod value",
			props:    `{runAsUser: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{securityContext: {runAsUser: 150}, containers: [{name: c, image: nginx, securityContext: {runAsUser: 250}}]}`),
			want:     []Finding{user(c0User, "250", "runAsUser not within MustRunAs ranges [100-200]")}},
		{name: "a container's allowed value overrides a pod value outside the ranges",
			props:    `{runAsGroup: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{securityContext: {runAsGroup: 0}, containers: [{name: c, image: nginx, securityContext: {runAsGroup: 100}}]}`)},
		{name: "range bounds are inclusive and any range will do",
			props:    `{runAsUser: {rule: MustRunAs, ranges: [{min: 100, max: 200}, {min: 1000, max: 1000}]}}`,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx, securityContext: {runAsUser: 1000}}, {name: d, image: nginx, securityContext: {runAsUser: 200}}]}`)},
		{name: "MayRunAs: an unset runAsGroup passes",
			props:    `{runAsGroup: {rule: MayRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx}]}`)},
		{name: "MayRunAs: a runAsGroup outside the ranges",
			props:    `{runAsGroup: {rule: MayRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{securityContext: {runAsGroup: 50}, containers: [{name: c, image: nginx}]}`),
			want:     []Finding{user(podGroup, "50", "runAsGroup not within MayRunAs ranges [100-200]")}},
		{name: "MustRunAs: an unset runAsGroup",
			props:    `{runAsGroup: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx}]}`),
			want:     []Finding{user(c0Group, "unset", "runAsGroup unset; MustRunAs requires it within [100-200]")}},
		{name: "MustRunAsNonRoot: a non-zero runAsUser passes",
			props:    `{runAsUser: {rule: MustRunAsNonRoot}}`,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx, securityContext: {runAsUser: 1000}}]}`)},
		{name: "MustRunAsNonRoot: runAsNonRoot true passes without a runAsUser",
			props:    `{runAsUser: {rule: MustRunAsNonRoot}}`,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx, securityContext: {runAsNonRoot: true}}]}`)},
		{name: "MustRunAsNonRoot: the pod's runAsNonRoot counts",
			props:    `{runAsUser: {rule: MustRunAsNonRoot}}`,
			manifest: seed001Pod(`{securityContext: {runAsNonRoot: true}, containers: [{name: c, image: nginx}]}`)},
		{name: "MustRunAsNonRoot: neither set",
			props:    `{runAsUser: {rule: MustRunAsNonRoot}}`,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx}]}`),
			want:     []Finding{user(c0NonRoot, "unset", "neither runAsNonRoot: true nor a non-zero runAsUser is set: MustRunAsNonRoot")}},
		{name: "MustRunAsNonRoot: runAsNonRoot false",
			props:    `{runAsUser: {rule: MustRunAsNonRoot}}`,
			manifest: seed001Pod(`{securityContext: {runAsNonRoot: true}, containers: [{name: c, image: nginx, securityContext: {runAsNonRoot: false}}]}`),
			want:     []Finding{user(c0NonRoot, "false", "neither runAsNonRoot: true nor a non-zero runAsUser is set: MustRunAsNonRoot")}},
		{name: "MustRunAsNonRoot: runAsUser 0, even with runAsNonRoot true",
			props:    `{runAsUser: {rule: MustRunAsNonRoot}}`,
			manifest: seed001Pod(`{securityContext: {runAsUser: 0}, containers: [{name: c, image: nginx, securityContext: {runAsNonRoot: true}}]}`),
			want:     []Finding{user(podUser, "0", "runAsUser 0 is root: MustRunAsNonRoot")}},
		{name: "MustRunAs: fsGroup and supplementalGroups unset",
			props:    `{fsGroup: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}, supplementalGroups: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx}]}`),
			want: []Finding{
				pod("spec.securityContext.fsGroup", "unset", "fsGroup unset; MustRunAs requires it within [100-200]"),
				pod("spec.securityContext.supplementalGroups", "unset", "supplementalGroups unset; MustRunAs requires it within [100-200]"),
			}},
		{name: "MayRunAs: fsGroup and supplementalGroups unset pass",
			props:    `{fsGroup: {rule: MayRunAs, ranges: [{min: 100, max: 200}]}, supplementalGroups: {rule: MayRunAs, ranges: [{min: 100, max: 200}]}}`,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx}]}`)},
		{name: "every supplemental group must lie within a range",
			props:    `{supplementalGroups: {rule: MayRunAs, ranges: [{min: 100, max: 200}, {min: 500, max: 600}]}}`,
			manifest: seed001Pod(`{securityContext: {supplementalGroups: [150, 550, 300]}, containers: [{name: c, image: nginx}]}`),
			want:     []Finding{pod("spec.securityContext.supplementalGroups[2]", "300", "supplementalGroups not within MayRunAs ranges [100-200, 500-600]")}},
		{name: "a Deployment's pod template securityContext counts",
			props: sample,
			manifest: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {
				securityContext: {runAsUser: 150, runAsGroup: 150, fsGroup: 150, supplementalGroups: [150]}, containers: [{name: c, image: nginx}]}}}}`},
	})
}

// Kyverno's require-non-root-groups as properties: a primary group is
// required and above 0, supplemental groups and fsGroup above 0 when set.
func TestAllowedUsersAndGroupsNonRootGroups(t *testing.T) {
	const props = `{runAsGroup: {rule: MustRunAs, ranges: [{min: 1, max: 2147483647}]},
		supplementalGroups: {rule: MayRunAs, ranges: [{min: 1, max: 2147483647}]},
		fsGroup: {rule: MayRunAs, ranges: [{min: 1, max: 2147483647}]}}`
	const detail = "[1-2147483647]"
	seed001Cases(t, "allowedUsersAndGroups", []seed001Case{
		{name: "the pod's runAsGroup covers its containers", props: props,
			manifest: seed001Pod(`{securityContext: {runAsGroup: 1000}, containers: [{name: c, image: nginx}]}`)},
		{name: "every container sets a runAsGroup", props: props,
			manifest: seed001Pod(`{initContainers: [{name: i, image: nginx, securityContext: {runAsGroup: 1}}], containers: [{name: c, image: nginx, securityContext: {runAsGroup: 1000}}]}`)},
		{name: "non-root groups pass", props: props,
			manifest: seed001Pod(`{securityContext: {runAsGroup: 1000, fsGroup: 2000, supplementalGroups: [3000]}, containers: [{name: c, image: nginx}]}`)},
		{name: "a container overrides the pod's group with root", props: props,
			manifest: seed001Pod(`{securityContext: {runAsGroup: 1000}, containers: [{name: c, image: nginx, securityContext: {runAsGroup: 0}}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "0", Container: "c", Field: "spec.containers[0].securityContext.runAsGroup",
				Detail: "runAsGroup not within MustRunAs ranges " + detail}}},
		{name: "no runAsGroup anywhere", props: props,
			manifest: seed001Pod(`{containers: [{name: c, image: nginx}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "unset", Container: "c", Field: "spec.containers[0].securityContext.runAsGroup",
				Detail: "runAsGroup unset; MustRunAs requires it within " + detail}}},
		{name: "root fsGroup and supplemental group", props: props,
			manifest: seed001Pod(`{securityContext: {runAsGroup: 1000, fsGroup: 0, supplementalGroups: [0]}, containers: [{name: c, image: nginx}]}`),
			want: []Finding{
				{Where: "podSecurityContext", Value: "0", Field: "spec.securityContext.fsGroup", Detail: "fsGroup not within MayRunAs ranges " + detail},
				{Where: "podSecurityContext", Value: "0", Field: "spec.securityContext.supplementalGroups[0]", Detail: "supplementalGroups not within MayRunAs ranges " + detail},
			}},
	})
}

// fsGroup and supplementalGroups are the pod's: they are checked when every
// container is exempt, and the containers' fields are not.
func TestAllowedUsersAndGroupsExemptContainers(t *testing.T) {
	check := seed001Check(t, "allowedUsersAndGroups", `{runAsUser: {rule: MustRunAsNonRoot}, fsGroup: {rule: MustRunAs, ranges: [{min: 100, max: 200}]}}`)
	in := seed001Input(seed001Object(t, seed001Pod(`{securityContext: {fsGroup: 0}, containers: [{name: c, image: nginx}]}`)), "prod")
	in.Containers = nil
	want := []Finding{{Where: "podSecurityContext", Value: "0", Field: "spec.securityContext.fsGroup", Detail: "fsGroup not within MustRunAs ranges [100-200]"}}
	if diff := seed001Diff(want, check(in)); diff != "" {
		t.Errorf("findings with every container exempt (-want +got):\n%s", diff)
	}
}

func TestAllowedUsersAndGroupsProperties(t *testing.T) {
	seed001PropErrors(t, "allowedUsersAndGroups", map[string][]string{
		`{runAsUser: {rule: MayRunAs, ranges: [{min: 1, max: 2}]}}`:         {"properties.runAsUser.rule", "Unsupported value", "MustRunAsNonRoot"},
		`{runAsGroup: {rule: MustRunAsNonRoot}}`:                            {"properties.runAsGroup.rule", "Unsupported value", "MayRunAs"},
		`{runAsUser: {rule: mustrunas, ranges: [{min: 1, max: 2}]}}`:        {"properties.runAsUser.rule", "Unsupported value"},
		`{fsGroup: {rule: MustRunAs}}`:                                      {"properties.fsGroup.ranges", "Required", "MustRunAs needs at least one range"},
		`{supplementalGroups: {rule: MayRunAs, ranges: []}}`:                {"properties.supplementalGroups.ranges", "Required"},
		`{runAsUser: {rule: MustRunAsNonRoot, ranges: [{min: 1, max: 2}]}}`: {"properties.runAsUser.ranges", "Forbidden", "only MustRunAs and MayRunAs read ranges"},
		`{runAsGroup: {ranges: [{min: 1, max: 2}]}}`:                        {"properties.runAsGroup.ranges", "rule is RunAsAny"},
		`{runAsGroup: {rule: MustRunAs, ranges: [{min: 200, max: 100}]}}`:   {"properties.runAsGroup.ranges[0].max", "must not be less than min"},
		`{fsGroup: {rule: MayRunAs, ranges: [{min: -1, max: 5}]}}`:          {"properties.fsGroup.ranges[0].min", "must not be negative"},
		`{runAsUser: {rule: MustRunAs, ranges: [{min: 1, maximum: 2}]}}`:    {"maximum", "unknown property"},
		`{runAsUsers: {rule: RunAsAny}}`:                                    {"properties.runAsUsers", "unknown property"},
		`{fsGroup: {rule: MustRunAs, ranges: [{min: one, max: 2}]}}`:        {"properties"},
	})
}
