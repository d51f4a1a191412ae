package importer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// Kyverno's group and the kinds Import reads.
const (
	kyvernoGroup         = "kyverno.io"
	kyvernoClusterPolicy = "ClusterPolicy"
	kyvernoPolicy        = "Policy"
)

type kyPolicy struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       json.RawMessage   `json:"spec,omitempty"`
	Status     json.RawMessage   `json:"status,omitempty"`
}

// kyRule is what the mappings read of the policy's rules.
type kyRule struct {
	Name     string          `json:"name"`
	Validate json.RawMessage `json:"validate,omitempty"`
}

// kyCtx is what a mapping reads: the rules' validate sections.
type kyCtx struct {
	d     *docCtx
	rules []kyRule
}

// kyMapping maps one policy of the Kyverno sets, by name; fn nil for a
// policy with no Palisade equivalent.
type kyMapping struct {
	fn     func(c *kyCtx) []mappedRule
	reason string
	// note states a difference that always holds, warned on each import.
	note string
	// reads names what fn reads from the rules' patterns, if anything.
	reads string
}

func kyRule1(id string, kv map[string]any) kyMapping {
	return kyMapping{fn: func(*kyCtx) []mappedRule { return one(id, kv) }}
}

func kyNone(reason string) kyMapping { return kyMapping{reason: reason} }

// kyMappings maps the pod-security (baseline, restricted) and
// best-practices policies, and a few of other/, by metadata.name.
var kyMappings = map[string]kyMapping{
	// pod-security/baseline
	"disallow-capabilities":          kyRule1("pssCapabilities", map[string]any{"level": "baseline"}),
	"disallow-host-namespaces":       kyRule1("pssHostNamespaces", nil),
	"disallow-host-path":             kyRule1("pssHostPathVolumes", nil),
	"disallow-host-ports":            kyRule1("pssHostPorts", nil),
	"disallow-host-ports-range":      {fn: kyHostPortRange, reads: "the host port range"},
	"disallow-host-process":          kyRule1("pssWindowsHostProcess", nil),
	"disallow-privileged-containers": kyRule1("pssPrivileged", nil),
	"disallow-proc-mount":            kyRule1("pssProcMount", nil),
	"disallow-selinux":               kyRule1("pssSeLinuxOptions", nil),
	"restrict-apparmor-profiles":     kyRule1("pssAppArmorProfile", nil),
	"restrict-seccomp":               kyRule1("pssSeccompProfile", map[string]any{"level": "baseline"}),
	"restrict-sysctls":               kyRule1("pssSysctls", nil),
	// pod-security/restricted
	"disallow-capabilities-strict":  kyRule1("pssCapabilities", map[string]any{"level": "restricted"}),
	"disallow-privilege-escalation": kyRule1("pssAllowPrivilegeEscalation", nil),
	"require-run-as-non-root-user":  kyRule1("pssRunAsUser", nil),
	"require-run-as-nonroot":        kyRule1("pssRunAsNonRoot", nil),
	"restrict-seccomp-strict":       kyRule1("pssSeccompProfile", map[string]any{"level": "restricted"}),
	"restrict-volume-types":         kyRule1("pssRestrictedVolumes", nil),
	// best-practices
	"add-network-policy":             kyNone("Palisade does not generate resources; a definition's segmentation keeps a default-deny-ingress NetworkPolicy in each namespace (docs/segmentation.md)"),
	"add-networkpolicy-dns":          kyNone("Palisade does not generate resources"),
	"add-ns-quota":                   kyNone("Palisade does not generate resources"),
	"add-rolebinding":                kyNone("Palisade does not generate resources"),
	"add-safe-to-evict":              kyNone("Palisade does not mutate resources"),
	"check-deprecated-apis":          kyRule1("deprecatedAPIVersions", nil),
	"disallow-cri-sock-mount":        {fn: kySockets, reads: "the list of forbidden hostPath paths"},
	"disallow-container-sock-mounts": {fn: kySockets, reads: "the list of forbidden hostPath paths"},
	"disallow-default-namespace":     kyRule1("defaultNamespace", nil),
	"disallow-empty-ingress-host":    kyRule1("ingressHosts", map[string]any{"allowWildcardHosts": true}),
	"disallow-helm-tiller":           kyRule1("imageName", map[string]any{"operator": "contains", "values": []string{"tiller"}}),
	"disallow-latest-tag":            kyRule1("imageTag", map[string]any{"operator": "equals", "values": []string{"latest"}}),
	"require-drop-all":               kyRule1("allowedCapabilities", map[string]any{"allowed": []string{"*"}, "requiredDrop": []string{"ALL"}}),
	"require-drop-cap-net-raw":       kyRule1("allowedCapabilities", map[string]any{"allowed": []string{"*"}, "requiredDrop": []string{"NET_RAW"}}),
	"require-labels":                 {fn: kyRequireLabels, reads: "the list of required labels"},
	"require-requests-limits": {fn: func(*kyCtx) []mappedRule {
		return []mappedRule{
			{"resourceRequests", map[string]any{"resources": []string{"cpu", "memory"}}},
			{"resourceLimits", map[string]any{"resources": []string{"memory"}}},
		}
	}},
	"require-pod-probes": {
		fn: func(*kyCtx) []mappedRule {
			return one("requiredProbes", map[string]any{"probes": []string{"livenessProbe", "readinessProbe"}})
		},
		note: "Kyverno passes a container with any one of livenessProbe, readinessProbe or startupProbe; requiredProbes requires both livenessProbe and readinessProbe, which is stricter",
	},
	"require-ro-rootfs":             kyRule1("readOnlyRootFilesystem", nil),
	"restrict-image-registries":     {fn: kyRegistries, reads: "the allowed image pattern"},
	"restrict-node-port":            kyRule1("serviceTypes", map[string]any{"allowedTypes": []string{"ClusterIP", "LoadBalancer", "ExternalName"}}),
	"restrict-service-external-ips": kyRule1("serviceExternalIPs", map[string]any{"allowedIPs": []string{}}),
	"validate-probe-timeout-period": kyNone("Palisade does not compare probe timeouts with periods"),
	// other/
	"block-ephemeral-containers":  kyRule1("ephemeralContainers", nil),
	"disallow-localhost-services": kyRule1("externalNameLocalhost", nil),
	"restrict-ingress-wildcard":   kyRule1("ingressHosts", nil),
	"imagepullpolicy-always":      kyRule1("imagePullPolicy", map[string]any{"allowed": []string{"Always"}}),
}

// criSockets are the container runtime sockets disallow-cri-sock-mount
// keeps out of hostPath volumes, as it is published.
var criSockets = []string{"/var/run/docker.sock", "/var/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/var/run/cri-dockerd.sock"}

// kySockets reads the forbidden paths from the hostPath patterns
// ("path: !/var/run/docker.sock"), or takes the published list.
func kySockets(c *kyCtx) []mappedRule {
	var paths []string
	for _, s := range kyStrings(c, "path") {
		if p, ok := strings.CutPrefix(s, "!"); ok && strings.HasPrefix(p, "/") {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		c.d.warn("spec.rules", "no \"!/path\" hostPath pattern found: the published socket list %v is used", criSockets)
		paths = criSockets
	}
	return one("forbiddenHostPaths", map[string]any{"paths": paths})
}

func (imp *foreignImporter) addKyverno(d *docCtx, j []byte) {
	var p kyPolicy
	if !d.decode(j, &p, nil) {
		return
	}
	d.errs = append(d.errs, policy.ValidateName(p.Metadata.Name, field.NewPath("metadata", "name"))...)
	label := fmt.Sprintf("Kyverno %s %s", p.Kind, p.Metadata.Name)
	spec := newFields(d, p.Spec, field.NewPath("spec"))
	specAction := kyAction(d, spec, "validationFailureAction", policy.ActionLog)
	spec.drop("validationFailureActionOverrides", "Palisade has one action per rule: namespaces needing another action need their own namespace definition")
	audited := true
	if bg, ok := get[bool](spec, "background"); ok {
		audited = bg
	}
	spec.ignore("failurePolicy", "webhookTimeoutSeconds", "schemaValidation", "admission", "emitWarning",
		"useServerSideApply", "mutateExistingOnPolicyUpdate", "generateExisting", "generateExistingOnPolicyUpdate",
		"applyRules", "webhookConfiguration")
	rawRules, _ := get[[]json.RawMessage](spec, "rules")
	spec.rest("not a policy field Palisade reads")

	var namespaces []string
	if p.Kind == kyvernoPolicy {
		ns := p.Metadata.Namespace
		if ns == "" {
			ns = "default"
		}
		namespaces = []string{ns}
	}
	c := &kyCtx{d: d}
	var actions []policy.Action // each validate rule's own, or the policy's
	var excluded []string
	for i, raw := range rawRules {
		rp := field.NewPath("spec", "rules").Index(i)
		rf := newFields(d, raw, rp)
		name, _ := get[string](rf, "name")
		validate, _ := get[json.RawMessage](rf, "validate")
		c.rules = append(c.rules, kyRule{Name: name, Validate: validate})
		if len(validate) > 0 {
			v := newFields(d, validate, rp.Child("validate"))
			actions = append(actions, kyAction(d, v, "failureAction", specAction))
			v.ignore("message", "pattern", "anyPattern", "deny", "foreach", "podSecurity", "cel", "allowExistingViolations", "manifests", "assert")
		}
		inc, ex := kyMatch(d, rf.child("match"), rf.child("exclude"))
		if i == 0 {
			excluded = ex
			if len(inc) > 0 {
				namespaces = inc
			}
		} else if !slices.Equal(ex, excluded) || (len(inc) > 0 && !slices.Equal(inc, namespaces)) {
			d.warn(rp.Child("match").String(), "the rules of one policy become one Palisade rule: this rule's namespaces are not carried over, the first rule's are")
		}
		rf.ignore("context", "preconditions", "skipBackgroundRequests", "celPreconditions", "reportProperties")
		for _, other := range []string{"mutate", "generate", "verifyImages"} {
			if rf.has(other) {
				rf.drop(other, "Palisade validates only; it does not "+map[string]string{"mutate": "mutate resources", "generate": "generate resources", "verifyImages": "verify images from a Kyverno policy (see imagesNotSigned)"}[other])
			}
		}
		rf.rest("not a rule field Palisade reads")
	}

	action := kyStrictest(d, label, specAction, actions)

	m, known := kyMappings[p.Metadata.Name]
	var mapped []mappedRule
	if !known || m.fn == nil {
		mapped = kyPodSecurity(c)
	}
	switch {
	case known && m.fn != nil:
		mapped = m.fn(c)
		if m.note != "" {
			d.warn("metadata.name", "%s: %s", label, m.note)
		}
	case mapped != nil:
	case known:
		d.warn("metadata.name", "%s: %s: policy not carried over", label, m.reason)
		return
	default:
		d.warn("metadata.name", "%s: not a Kyverno pod-security or best-practices policy Palisade knows (policies are recognised by name): policy not carried over", label)
		return
	}
	if len(mapped) == 0 {
		return
	}
	if known && m.fn != nil {
		kyByName(d, label, m, mapped)
	}
	var out []*foreignRule
	for _, mr := range mapped {
		out = append(out, &foreignRule{
			Rule:       policy.Rule{Rule: mr.id, Action: action, Properties: props(mr.props), ExcludedNamespaces: excluded},
			namespaces: namespaces,
			audited:    audited,
		})
	}
	imp.emit(label, out...)
}

// kyByName says, once per policy, that a policy recognised by its name is
// mapped as published: its rules' patterns, which a user may have
// customised, are not read, except what the mapping reads.
func kyByName(d *docCtx, label string, m kyMapping, mapped []mappedRule) {
	ids := make([]string, len(mapped))
	for i, mr := range mapped {
		ids[i] = mr.id
	}
	checks := "Palisade rule " + ids[0] + " checks"
	if len(ids) > 1 {
		checks = "Palisade rules " + strings.Join(ids, " and ") + " check"
	}
	read := "its rules' patterns are not read, " + checks
	if m.reads != "" {
		read = "only " + m.reads + " is read from its rules' patterns, otherwise " + checks
	}
	d.warn("metadata.name", "%s: recognised by its published name: %s what the published policy checks; check a customised policy by hand", label, read)
}

// kyAction maps Enforce to block and Audit to log (either case, as Kyverno
// accepts both); def when absent.
func kyAction(d *docCtx, f *fields, name string, def policy.Action) policy.Action {
	a, ok := get[string](f, name)
	if !ok {
		return def
	}
	switch strings.ToLower(a) {
	case "enforce":
		return policy.ActionBlock
	case "audit":
		return policy.ActionLog
	}
	d.errs = append(d.errs, field.NotSupported(f.path.Child(name), a, []string{"Enforce", "Audit"}))
	return def
}

// kyStrictest is the one action of a policy whose validate rules have
// actions (failureAction, or the policy's validationFailureAction): Palisade
// maps the policy onto one rule, so rules that disagree take the strictest,
// block, with a warning.
func kyStrictest(d *docCtx, label string, def policy.Action, actions []policy.Action) policy.Action {
	if len(actions) == 0 {
		return def
	}
	kinds := slices.Clone(actions)
	slices.Sort(kinds)
	if kinds = slices.Compact(kinds); len(kinds) == 1 {
		return kinds[0]
	}
	d.warn("spec.rules", "%s: the rules' failure actions differ (Enforce and Audit): the strictest, Enforce (block), is used for the whole policy", label)
	return policy.ActionBlock
}

// kyMatch reads the namespaces of a rule's match (the rule applies only
// there) and exclude (excluded namespaces); other filters are reported.
func kyMatch(d *docCtx, match, exclude *fields) (namespaces, excluded []string) {
	return kyFilters(d, match, true), kyFilters(d, exclude, false)
}

// kyFilters reads resources.namespaces from a match or exclude block
// (any, all, or the legacy resources), reporting the filters Palisade
// cannot express.
//
// An exclusion becomes excluded namespaces only when it excludes whole
// namespaces: an entry of any (or the legacy resources, or the only entry
// of all) that names nothing but namespaces. An entry of an all list of
// several, or one that also names kinds, operations, names or selectors,
// excludes less than its namespaces, so it is not carried over and the
// rule applies there too (stricter, never looser).
func kyFilters(d *docCtx, f *fields, match bool) []string {
	type block struct {
		f     *fields
		inAll bool // an entry of an all list of several
	}
	var blocks []block
	for _, key := range []string{"any", "all"} {
		list, _ := get[[]json.RawMessage](f, key)
		for i, raw := range list {
			blocks = append(blocks, block{newFields(d, raw, f.path.Child(key).Index(i)), key == "all" && len(list) > 1})
		}
	}
	if f.has("resources") || f.has("subjects") || f.has("roles") || f.has("clusterRoles") {
		blocks = append(blocks, block{f: f})
	}
	var out []string
	all := false
	for _, b := range blocks {
		r := b.f.child("resources")
		ns, _ := get[[]string](r, "namespaces")
		if match {
			r.ignore("kinds", "operations")
		} else if b.inAll || narrower(r) || narrower(b.f, "resources") {
			// Excluding the whole namespaces would exclude more than the
			// block does.
			if len(ns) > 0 {
				d.warn(r.path.Child("namespaces").String(), "not carried over: this exclusion is narrower than whole namespaces (an entry of \"all\", or it also names kinds, operations, names or selectors), and Palisade excludes only whole namespaces, so the rule applies there too")
			}
			r.rest("Palisade cannot express this exclusion, so the rule applies there too")
			b.f.rest("Palisade cannot express this exclusion, so the rule applies there too")
			continue
		}
		if len(ns) == 0 {
			all = true
		}
		out = append(out, namespaceList(d, ns, r.path.Child("namespaces"))...)
		r.rest("Palisade cannot express this filter, so the rule applies more widely")
		b.f.rest("Palisade cannot express this filter, so the rule applies more widely")
	}
	f.rest("not a filter Palisade reads")
	if match && all {
		return nil // some block matches every namespace
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// narrower reports whether f holds a field not yet read, other than
// those named.
func narrower(f *fields, except ...string) bool {
	for n := range f.raw {
		if !f.read[n] && !slices.Contains(except, n) {
			return true
		}
	}
	return false
}

// kyPodSecurity maps a validate.podSecurity rule (the subrule policies) to
// podSecurityStandard.
func kyPodSecurity(c *kyCtx) []mappedRule {
	for i, r := range c.rules {
		if len(r.Validate) == 0 {
			continue
		}
		var v struct {
			PodSecurity *struct {
				Level   string            `json:"level"`
				Version string            `json:"version"`
				Exclude []json.RawMessage `json:"exclude"`
			} `json:"podSecurity"`
		}
		if json.Unmarshal(r.Validate, &v) != nil || v.PodSecurity == nil {
			continue
		}
		ps := v.PodSecurity
		kv := map[string]any{"level": ps.Level}
		if ps.Version != "" && ps.Version != "latest" {
			kv["version"] = ps.Version
		}
		if len(ps.Exclude) > 0 {
			c.d.warn(field.NewPath("spec", "rules").Index(i).Child("validate", "podSecurity", "exclude").String(),
				"not carried over: podSecurityStandard has no per-control exclusions; enable the pss* rules of the controls you want instead")
		}
		return one("podSecurityStandard", kv)
	}
	return nil
}

// strings walks a validate section and returns the string values of the
// keys named (Kyverno anchors such as "=(image)" included).
func kyStrings(c *kyCtx, keys ...string) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				name := strings.TrimSuffix(strings.TrimLeft(k, "=+^X<()"), ")")
				if s, ok := x.(string); ok && slices.Contains(keys, name) {
					out = append(out, s)
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		case string:
			if slices.Contains(keys, "") {
				out = append(out, t)
			}
		}
	}
	for _, r := range c.rules {
		var v any
		if json.Unmarshal(r.Validate, &v) == nil {
			walk(v)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// kyRegistries reads the allowed registries from the image patterns
// ("eu.foo.io/* | bar.io/*") when every container list names the same.
func kyRegistries(c *kyCtx) []mappedRule {
	pats := kyStrings(c, "image")
	if len(pats) != 1 {
		c.d.warn("spec.rules", "not carried over: the allowed registries could not be read from the policy's image patterns (%d different patterns, want 1); set allowedRegistries' regex yourself", len(pats))
		return nil
	}
	var alts []string
	for _, g := range strings.Split(pats[0], "|") {
		if g = strings.TrimSpace(g); g != "" {
			alts = append(alts, kyImageAlts(c, g)...)
		}
	}
	return one("allowedRegistries", map[string]any{"regex": "^(" + strings.Join(alts, "|") + ")$"})
}

// kyImageAlts translates one of Kyverno's image globs, which match the
// image as written, into expressions matching the normalised references
// Palisade compares ("nginx:1.2" is docker.io/library/nginx:1.2, "nginx"
// docker.io/library/nginx:latest). The translation allows the images the
// glob allows, written in any of their equivalent forms; where that cannot
// be exact, a warning names the pattern.
func kyImageAlts(c *kyCtx, g string) []string {
	glob := func(s string) string { return strings.TrimSuffix(strings.TrimPrefix(globRegex(s), "^"), "$") }
	// An image written without a tag or digest is read with tag latest.
	tail := ""
	if last := g[strings.LastIndex(g, "/")+1:]; !strings.HasSuffix(g, "*") && !strings.ContainsAny(last, ":@") {
		tail = "(:latest)?"
	}
	stem := stemOf(g)
	first, _, slash := strings.Cut(stem, "/")
	host := slash && (strings.ContainsAny(first, ".:") || first == "localhost")
	hub := func(name string) []string {
		// A Docker Hub name: an official image (library/) when it has no
		// organisation, else organisation/name.
		if strings.Contains(stemOf(name), "/") {
			return []string{`docker\.io/` + glob(name) + tail}
		}
		return []string{`docker\.io/library/` + glob(name) + tail, `docker\.io/` + glob(name) + tail}
	}
	switch {
	case g == "*":
		return []string{".*"}
	case host && image.CanonicalHost(first) == "docker.io":
		name := g[len(first)+1:]
		c.d.warn("spec.rules", "restrict-image-registries: Palisade compares normalised references (\"nginx\" is docker.io/library/nginx:latest), so %q now also allows Docker Hub images written without a registry (\"nginx\", \"acme/app\")", g)
		return hub(name)
	case host:
		return []string{regexp.QuoteMeta(image.CanonicalHost(first)) + "/" + glob(g[len(first)+1:]) + tail}
	case stem == "":
		c.d.warn("spec.rules", "restrict-image-registries: %q starts with a wildcard and is matched against normalised references (\"nginx\" is docker.io/library/nginx:latest): it may allow images Kyverno refused", g)
		return []string{glob(g) + tail}
	case slash:
		return hub(g) // an organisation on Docker Hub: "acme/*"
	}
	// No registry before a wildcard ("nginx*"): a Docker Hub image, or,
	// when the wildcard runs into a host ("nginx.example.com/app"), that
	// registry's image as written.
	return append([]string{glob(g) + tail}, hub(g)...)
}

// stemOf is the part of a glob before its first wildcard.
func stemOf(g string) string {
	if i := strings.IndexAny(g, "*?"); i >= 0 {
		return g[:i]
	}
	return g
}

var portRange = regexp.MustCompile(`^(\d+)-(\d+)$`)

// kyHostPortRange reads the allowed host port range ("5000-6000").
func kyHostPortRange(c *kyCtx) []mappedRule {
	var found [][]string
	for _, s := range kyStrings(c, "") {
		if m := portRange.FindStringSubmatch(strings.TrimSpace(s)); m != nil {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		c.d.warn("spec.rules", "not carried over: the allowed host port range could not be read from the policy (%d ranges found, want 1)", len(found))
		return nil
	}
	var lo, hi int
	fmt.Sscan(found[0][1], &lo)
	fmt.Sscan(found[0][2], &hi)
	return one("hostNetworkAndPorts", map[string]any{"allowHostNetwork": true, "minPort": lo, "maxPort": hi})
}

// kyRequireLabels reads the labels the pattern requires: "?*" (any
// non-empty value) or a wildcard the value must match.
func kyRequireLabels(c *kyCtx) []mappedRule {
	var keys []map[string]any
	for _, r := range c.rules {
		var v struct {
			Pattern struct {
				Metadata struct {
					Labels map[string]string `json:"labels"`
				} `json:"metadata"`
			} `json:"pattern"`
		}
		if json.Unmarshal(r.Validate, &v) != nil {
			continue
		}
		names := make([]string, 0, len(v.Pattern.Metadata.Labels))
		for k := range v.Pattern.Metadata.Labels {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			m := map[string]any{"key": k}
			if val := v.Pattern.Metadata.Labels[k]; val != "?*" && val != "*" {
				m["allowedRegex"] = globRegex(val)
			}
			keys = append(keys, m)
		}
	}
	if len(keys) == 0 {
		c.d.warn("spec.rules", "not carried over: no label could be read from validate.pattern.metadata.labels")
		return nil
	}
	return one("requiredLabels", map[string]any{"keys": keys})
}
