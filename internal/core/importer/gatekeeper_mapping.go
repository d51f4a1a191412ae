package importer

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/image"
)

// gkRanges converts Gatekeeper's [{min_replicas, max_replicas}] ranges.
func gkRanges(c *gkCtx) ([]map[string]any, bool) {
	type gkRange struct {
		Min *int32 `json:"min_replicas"`
		Max *int32 `json:"max_replicas"`
	}
	list, ok := get[[]gkRange](c.p, "ranges")
	if !ok {
		return nil, false
	}
	out := make([]map[string]any, 0, len(list))
	for _, r := range list {
		m := map[string]any{}
		if r.Min != nil {
			m["minReplicas"] = *r.Min
		}
		if r.Max != nil {
			m["maxReplicas"] = *r.Max
		}
		out = append(out, m)
	}
	return out, true
}

// gkKeys converts [{key, allowedRegex}] (requiredlabels, requiredannotations).
func gkKeys(c *gkCtx, name string) []map[string]any {
	type gkKey struct {
		Key          string `json:"key"`
		AllowedRegex string `json:"allowedRegex,omitempty"`
	}
	list, _ := get[[]gkKey](c.p, name)
	out := make([]map[string]any, 0, len(list))
	for _, k := range list {
		m := map[string]any{"key": k.Key}
		if k.AllowedRegex != "" {
			m["allowedRegex"] = k.AllowedRegex
		}
		out = append(out, m)
	}
	return out
}

// gkIDRules converts the users template's {rule, ranges: [{min, max}]}.
func gkIDRules(c *gkCtx, names ...string) map[string]any {
	out := map[string]any{}
	for _, n := range names {
		if v, ok := get[map[string]any](c.p, n); ok {
			out[n] = v
		}
	}
	return out
}

// gkSeccomp maps allowed seccomp profiles onto the Pod Security Standards'
// seccomp control when they amount to it.
func gkSeccomp(c *gkCtx) []mappedRule {
	profiles, _ := get[[]string](c.p, "allowedProfiles")
	files, _ := get[[]string](c.p, "allowedLocalhostFiles")
	restricted := len(profiles) > 0
	for _, p := range profiles {
		switch p {
		case "RuntimeDefault", "runtime/default", "docker/default", "Localhost", "localhost/*":
		default:
			restricted = false
		}
	}
	if !restricted {
		c.p.d.warn(c.p.path.Child("allowedProfiles").String(),
			"not carried over: Palisade checks seccomp as the Pod Security Standards do (pssSeccompProfile: restricted requires RuntimeDefault or Localhost, baseline forbids Unconfined); %v allows more than that, and no rule was added", profiles)
		return nil
	}
	if len(files) > 0 && !slices.Contains(files, "*") {
		c.p.d.warn(c.p.path.Child("allowedLocalhostFiles").String(),
			"not carried over: pssSeccompProfile accepts any Localhost profile file")
	}
	return one("pssSeccompProfile", map[string]any{"level": "restricted"})
}

// gkHPA maps the horizontalpodautoscaler template: one range becomes the
// bounds; several become their envelope, which allows more.
func gkHPA(c *gkCtx) []mappedRule {
	kv := map[string]any{}
	if v, ok := get[int64](c.p, "minimumReplicaSpread"); ok {
		kv["minimumReplicaSpread"] = v
	}
	if ranges, ok := gkRanges(c); ok && len(ranges) > 0 {
		lo, hi := ranges[0]["minReplicas"], ranges[0]["maxReplicas"]
		for _, r := range ranges[1:] {
			if v, ok := r["minReplicas"].(int32); ok && (lo == nil || v < lo.(int32)) {
				lo = v
			}
			if v, ok := r["maxReplicas"].(int32); ok && (hi == nil || v > hi.(int32)) {
				hi = v
			}
		}
		if len(ranges) > 1 {
			c.p.d.warn(c.p.path.Child("ranges").String(),
				"hpaBounds holds one range: the %d ranges are carried over as their envelope [%v, %v], which allows more", len(ranges), lo, hi)
		}
		if lo != nil {
			kv["minimumReplicas"] = lo
		}
		if hi != nil {
			kv["maximumReplicas"] = hi
		}
	}
	c.p.drop("enforceScaleTargetRef", "Palisade judges each object alone and does not look up the scale target")
	return one("hpaBounds", kv)
}

// allowNothing is the allowedRegistries expression that matches no
// reference (the rule's own default).
const allowNothing = `^(.+){0}$`

// allowNone warns that an allowlist template with nothing left in its
// list refuses every image, as its Rego does (no entry satisfies "any"),
// and returns the expression that allows nothing.
func allowNone(c *gkCtx, name string) string {
	c.p.d.warn(c.p.path.Child(name).String(),
		"no image is allowed: the list is empty (or nothing in it was carried over), so every image is refused, as in Gatekeeper")
	return allowNothing
}

// gkMappings maps each Gatekeeper library template, by its constraint
// kind, onto Palisade rules. docs/migrating.md states the differences.
var gkMappings = map[string]gkMapping{
	// general/
	"K8sAllowedRepos": {fn: func(c *gkCtx) []mappedRule {
		repos, _ := get[[]string](c.p, "repos")
		if len(repos) == 0 {
			return one("allowedRegistries", map[string]any{"regex": allowNone(c, "repos")})
		}
		return one("allowedRegistries", map[string]any{"regex": prefixRegex(repos)})
	}},
	// allowedreposv2 1.0.0: exact images, or prefixes ending in "*".
	"K8sAllowedReposv2": {fn: func(c *gkCtx) []mappedRule {
		imgs, _ := get[[]string](c.p, "allowedImages")
		var alts []string
		for i, img := range imgs {
			stem, prefix := strings.CutSuffix(img, "*")
			switch {
			case strings.Contains(stem, "*"):
				c.p.d.warn(c.p.path.Child("allowedImages").Index(i).String(), "not carried over: \"*\" is read only at the end")
			case prefix:
				alts = append(alts, regexp.QuoteMeta(image.NormalisePrefix(stem)))
			default:
				alts = append(alts, regexp.QuoteMeta(image.Parse(img).Path)+"$")
			}
		}
		if len(alts) == 0 {
			return one("allowedRegistries", map[string]any{"regex": allowNone(c, "allowedImages")})
		}
		return one("allowedRegistries", map[string]any{"regex": "^(" + strings.Join(alts, "|") + ")"})
	}},
	// allowedrepos 2.0.0: repos are registries or repositories (a "/" is
	// appended), images are names followed by nothing, a tag or a digest.
	"K8sAllowedReposV2": {fn: func(c *gkCtx) []mappedRule {
		repos, _ := get[[]string](c.p, "repos")
		imgs, _ := get[[]string](c.p, "images")
		var alts []string
		for _, r := range repos {
			if !strings.HasSuffix(r, "/") {
				r += "/"
			}
			alts = append(alts, regexp.QuoteMeta(image.NormalisePrefix(r)))
		}
		for _, img := range imgs {
			alts = append(alts, regexp.QuoteMeta(image.NormalisePrefix(img))+"[:@]")
		}
		if len(alts) == 0 {
			return one("allowedRegistries", map[string]any{"regex": allowNone(c, "repos")})
		}
		return one("allowedRegistries", map[string]any{"regex": "^(" + strings.Join(alts, "|") + ")"})
	}},
	"K8sDisallowedRepos": {fn: func(c *gkCtx) []mappedRule {
		repos, _ := get[[]string](c.p, "repos")
		if len(repos) == 0 {
			return nil
		}
		return one("imagePath", map[string]any{"operator": "matches", "values": []string{prefixRegex(repos)}})
	}},
	"K8sDisallowedTags": {fn: func(c *gkCtx) []mappedRule {
		tags, _ := get[[]string](c.p, "tags")
		if !slices.Contains(tags, "latest") {
			c.p.d.warn(c.p.path.Child("tags").String(),
				"Gatekeeper also refuses images without a tag; Palisade reads them as tag latest, which this list does not name, so they pass")
		}
		if len(tags) == 0 {
			return nil
		}
		return one("imageTag", map[string]any{"operator": "equals", "values": tags})
	}},
	"K8sBlockEndpointEditDefaultRole": gkNone("Palisade has no rule on the system:aggregate-to-edit ClusterRole's endpoints permission"),
	"K8sBlockLoadBalancer": {fn: func(*gkCtx) []mappedRule {
		return one("serviceTypes", map[string]any{"allowedTypes": []string{"ClusterIP", "NodePort", "ExternalName"}})
	}},
	"K8sBlockNodePort": {fn: func(*gkCtx) []mappedRule {
		return one("serviceTypes", map[string]any{"allowedTypes": []string{"ClusterIP", "LoadBalancer", "ExternalName"}})
	}},
	"K8sBlockWildcardIngress": {fn: func(*gkCtx) []mappedRule { return one("ingressHosts", nil) }},
	"K8sContainerLimits": {fn: func(c *gkCtx) []mappedRule {
		kv := map[string]any{}
		resources := []string{"cpu", "memory"}
		if cpu, ok := get[string](c.p, "cpu"); ok {
			if cpu == "-1" {
				resources = []string{"memory"}
			} else {
				kv["maxCpu"] = cpu
			}
		}
		if mem, ok := get[string](c.p, "memory"); ok {
			kv["maxMemory"] = mem
		}
		kv["resources"] = resources
		return one("resourceLimits", kv)
	}},
	"K8sContainerRequests": {fn: func(c *gkCtx) []mappedRule {
		kv := map[string]any{"resources": []string{"cpu", "memory"}}
		if cpu, ok := get[string](c.p, "cpu"); ok {
			kv["maxCpu"] = cpu
		}
		if mem, ok := get[string](c.p, "memory"); ok {
			kv["maxMemory"] = mem
		}
		return one("resourceRequests", kv)
	}},
	"K8sContainerRatios": {fn: func(c *gkCtx) []mappedRule {
		// ratio bounds memory, and CPU too unless cpuRatio is given.
		ratio, _ := get[string](c.p, "ratio")
		kv := map[string]any{"maxCpuRatio": ratio, "maxMemoryRatio": ratio}
		if r, ok := get[string](c.p, "cpuRatio"); ok {
			kv["maxCpuRatio"] = r
		}
		// Gatekeeper also refuses a container missing a limit or a request,
		// which limitRequestRatio leaves to these rules.
		both := []string{"cpu", "memory"}
		return []mappedRule{
			{"limitRequestRatio", kv},
			{"resourceLimits", map[string]any{"resources": both}},
			{"resourceRequests", map[string]any{"resources": both}},
		}
	}},
	"K8sRequiredResources": {fn: func(c *gkCtx) []mappedRule {
		var out []mappedRule
		if l, ok := get[[]string](c.p, "limits"); ok && len(l) > 0 {
			out = append(out, mappedRule{"resourceLimits", map[string]any{"resources": l}})
		}
		if r, ok := get[[]string](c.p, "requests"); ok && len(r) > 0 {
			out = append(out, mappedRule{"resourceRequests", map[string]any{"resources": r}})
		}
		return out
	}},
	"K8sDisallowAnonymous": {fn: func(c *gkCtx) []mappedRule {
		kv := map[string]any{}
		if v, ok := get[[]string](c.p, "allowedRoles"); ok {
			kv["allowedRoles"] = v
		}
		if v, ok := get[bool](c.p, "disallowAuthenticated"); ok {
			kv["disallowAuthenticated"] = v
		}
		return one("anonymousBindings", kv)
	}},
	"K8sDisallowInteractiveTTY": {fn: func(*gkCtx) []mappedRule { return one("stdinTty", nil) }},
	"K8sContainerEphemeralStorageLimit": {fn: func(c *gkCtx) []mappedRule {
		kv := map[string]any{}
		if v, ok := get[string](c.p, "ephemeral-storage"); ok {
			kv["maxEphemeralStorage"] = v
		}
		return one("ephemeralStorageLimits", kv)
	}},
	"K8sExternalIPs": {fn: func(c *gkCtx) []mappedRule {
		ips, _ := get[[]string](c.p, "allowedIPs")
		return one("serviceExternalIPs", map[string]any{"allowedIPs": nonNil(ips)})
	}},
	"K8sHorizontalPodAutoscaler": {fn: gkHPA},
	"K8sHttpsOnly": {fn: func(c *gkCtx) []mappedRule {
		kv := map[string]any{}
		if v, ok := get[bool](c.p, "tlsOptional"); ok {
			kv["tlsOptional"] = v
		}
		return one("httpsOnlyIngress", kv)
	}},
	"K8sImageDigests": {fn: func(*gkCtx) []mappedRule { return one("imageDigests", nil) }},
	"K8sNoUpdateServiceAccount": {fn: func(c *gkCtx) []mappedRule {
		kv := map[string]any{}
		if v, ok := get[[]string](c.p, "allowedUsers"); ok {
			kv["allowedUsers"] = v
		}
		if v, ok := get[[]string](c.p, "allowedGroups"); ok {
			kv["allowedGroups"] = v
		}
		return one("serviceAccountUnchanged", kv)
	}},
	"K8sPodDisruptionBudget": {fn: func(*gkCtx) []mappedRule { return one("podDisruptionBudget", nil) }},
	"K8sReplicaLimits": {fn: func(c *gkCtx) []mappedRule {
		ranges, _ := gkRanges(c)
		return one("replicaLimits", map[string]any{"ranges": nonNil(ranges)})
	}},
	"K8sRequiredAnnotations": {fn: func(c *gkCtx) []mappedRule {
		c.p.drop("message", "Palisade's violation message is its own")
		return one("requiredAnnotations", metadataKeys(c, "annotations"))
	}},
	"K8sRequiredLabels": {fn: func(c *gkCtx) []mappedRule {
		c.p.drop("message", "Palisade's violation message is its own")
		return one("requiredLabels", metadataKeys(c, "labels"))
	}},
	"K8sRequiredProbes": {fn: func(c *gkCtx) []mappedRule {
		kv := map[string]any{}
		if v, ok := get[[]string](c.p, "probes"); ok {
			kv["probes"] = v
		}
		if v, ok := get[[]string](c.p, "probeTypes"); ok {
			kv["probeTypes"] = v
		}
		return one("requiredProbes", kv)
	}},
	"K8sStorageClass": {fn: func(c *gkCtx) []mappedRule {
		c.p.drop("includeStorageClassesInMessage", "Palisade's violation message is its own")
		kv := map[string]any{}
		if v, ok := get[[]string](c.p, "allowedStorageClasses"); ok {
			kv["allowedStorageClasses"] = v
		}
		return one("storageClasses", kv)
	}},
	"K8sUniqueIngressHost":     {fn: func(*gkCtx) []mappedRule { return one("uniqueIngressHosts", nil) }},
	"K8sUniqueServiceSelector": {fn: func(*gkCtx) []mappedRule { return one("uniqueServiceSelectors", nil) }},
	"VerifyDeprecatedAPI": {fn: func(c *gkCtx) []mappedRule {
		c.p.drop("kvs", "Palisade keeps its own list of deprecated and removed API versions")
		kv := map[string]any{}
		if v, ok := get[json.Number](c.p, "k8sVersion"); ok {
			kv["kubernetesVersion"] = v.String()
		}
		return one("deprecatedAPIVersions", kv)
	}},
	"K8sPSPAutomountServiceAccountTokenPod": {fn: func(*gkCtx) []mappedRule { return one("automountServiceAccountToken", nil) }},
	"K8sVolumeResources":                    gkNone("Palisade has no rule on emptyDir size limits"),

	// pod-security-policy/
	"K8sPSPAllowPrivilegeEscalationContainer": {fn: func(*gkCtx) []mappedRule { return one("allowPrivilegeEscalation", nil) }},
	"K8sPSPAppArmor": {fn: func(c *gkCtx) []mappedRule {
		kv := map[string]any{}
		if v, ok := get[[]string](c.p, "allowedProfiles"); ok {
			kv["allowedProfiles"] = v
		}
		return one("appArmor", kv)
	}},
	"K8sPSPCapabilities": {fn: func(c *gkCtx) []mappedRule {
		kv := map[string]any{}
		if v, ok := get[[]string](c.p, "allowedCapabilities"); ok {
			kv["allowed"] = v
		}
		if v, ok := get[[]string](c.p, "requiredDropCapabilities"); ok {
			kv["requiredDrop"] = v
		}
		return one("allowedCapabilities", kv)
	}},
	"K8sPSPFlexVolumes": {fn: func(c *gkCtx) []mappedRule {
		type driver struct {
			Driver string `json:"driver"`
		}
		list, _ := get[[]driver](c.p, "allowedFlexVolumes")
		drivers := make([]string, 0, len(list))
		for _, d := range list {
			drivers = append(drivers, d.Driver)
		}
		return one("flexVolumeDrivers", map[string]any{"allowedDrivers": drivers})
	}},
	"K8sPSPForbiddenSysctls": {fn: func(c *gkCtx) []mappedRule {
		c.p.drop("forbiddenSysctls", "pssSysctls allows exactly the Pod Security Standards' safe sysctls, whatever the list")
		c.p.drop("allowedSysctls", "pssSysctls allows exactly the Pod Security Standards' safe sysctls, whatever the list")
		return one("pssSysctls", nil)
	}},
	"K8sPSPFSGroup": {fn: func(c *gkCtx) []mappedRule {
		rule, _ := get[string](c.p, "rule")
		fs := map[string]any{"rule": rule}
		if r, ok := get[[]map[string]any](c.p, "ranges"); ok {
			fs["ranges"] = r
		}
		if rule == "" || rule == "RunAsAny" {
			return nil // allows every fsGroup
		}
		return one("allowedUsersAndGroups", map[string]any{"fsGroup": fs})
	}},
	"K8sPSPHostFilesystem": {fn: func(c *gkCtx) []mappedRule {
		paths, _ := get[[]map[string]any](c.p, "allowedHostPaths")
		return one("allowedHostPaths", map[string]any{"paths": nonNil(paths)})
	}},
	"K8sPSPHostNamespace": {fn: func(*gkCtx) []mappedRule {
		return []mappedRule{{"hostPID", nil}, {"hostIPC", nil}}
	}},
	"K8sPSPHostNetworkingPorts": {fn: func(c *gkCtx) []mappedRule {
		kv := map[string]any{}
		if v, ok := get[bool](c.p, "hostNetwork"); ok {
			kv["allowHostNetwork"] = v
		}
		if v, ok := get[int64](c.p, "min"); ok {
			kv["minPort"] = v
		}
		if v, ok := get[int64](c.p, "max"); ok {
			kv["maxPort"] = v
		}
		return one("hostNetworkAndPorts", kv)
	}},
	"K8sPSPHostProbesLifecycle": {fn: func(*gkCtx) []mappedRule { return one("pssHostProbesAndHostLifecycle", nil) }},
	"K8sPSPHostProcess":         {fn: func(*gkCtx) []mappedRule { return one("pssWindowsHostProcess", nil) }},
	"K8sPSPPrivilegedContainer": {fn: func(*gkCtx) []mappedRule { return one("privileged", nil) }},
	"K8sPSPProcMount": {fn: func(c *gkCtx) []mappedRule {
		if v, _ := get[string](c.p, "procMount"); v == "Unmasked" {
			return nil // allows every procMount
		}
		return one("pssProcMount", nil)
	}},
	"K8sPSPReadOnlyRootFilesystem": {fn: func(*gkCtx) []mappedRule { return one("readOnlyRootFilesystem", nil) }},
	"K8sPSPSeccomp":                {fn: gkSeccomp},
	"K8sPSPSeccompV2":              {fn: gkSeccomp},
	"K8sPSPSELinuxV2": {fn: func(c *gkCtx) []mappedRule {
		c.p.drop("allowedSELinuxOptions", "pssSeLinuxOptions allows the Pod Security Standards' SELinux types (container_t, container_init_t, container_kvm_t) and no user or role, whatever the list")
		return one("pssSeLinuxOptions", nil)
	}},
	"K8sPSPAllowedUsers": {fn: func(c *gkCtx) []mappedRule {
		return one("allowedUsersAndGroups", gkIDRules(c, "runAsUser", "runAsGroup", "supplementalGroups", "fsGroup"))
	}},
	"K8sPSPVolumeTypes": {fn: func(c *gkCtx) []mappedRule {
		vols, _ := get[[]string](c.p, "volumes")
		if slices.Contains(vols, "*") {
			return nil
		}
		for _, v := range vols {
			if !slices.Contains(pssRestrictedVolumes, v) {
				c.p.d.warn(c.p.path.Child("volumes").String(),
					"not carried over: Palisade restricts volume types only as the restricted Pod Security Standard does (%v), and %q is not among them", pssRestrictedVolumes, v)
				return nil
			}
		}
		if len(vols) < len(pssRestrictedVolumes) {
			c.p.d.warn(c.p.path.Child("volumes").String(),
				"pssRestrictedVolumes allows every volume type of the restricted Pod Security Standard (%v), more than %v", pssRestrictedVolumes, vols)
		}
		return one("pssRestrictedVolumes", nil)
	}},
}

// pssRestrictedVolumes are the volume types the restricted Pod Security
// Standard allows.
var pssRestrictedVolumes = []string{"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}

// metadataKeys maps requiredlabels / requiredannotations: the keys, and
// the kinds the constraint matches.
func metadataKeys(c *gkCtx, name string) map[string]any {
	kv := map[string]any{"keys": gkKeys(c, name)}
	if len(c.kinds) > 0 {
		kv["kinds"] = c.kinds
	}
	return kv
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
