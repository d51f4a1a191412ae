package image

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/memo"
)

// Operators a condition may use.
var Operators = []string{"equals", "notEquals", "contains", "notContains", "startsWith", "endsWith", "matches"}

// Condition is a compiled "operator + values" test on a string.
type Condition struct {
	Operator string
	Values   []string
	res      []*memo.Regexp
}

// NewCondition compiles op and values. It returns an error naming the
// offending operator or value.
func NewCondition(op string, values []string) (*Condition, error) {
	c := &Condition{Operator: op, Values: values}
	switch op {
	case "equals", "notEquals", "contains", "notContains", "startsWith", "endsWith":
	case "matches":
		for i, v := range values {
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, fmt.Errorf("values[%d]: %w", i, err)
			}
			c.res = append(c.res, memo.NewRegexp(re))
		}
	default:
		return nil, fmt.Errorf("unsupported operator %q", op)
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("values: at least one value is required")
	}
	return c, nil
}

// Match reports whether s satisfies the condition. For the positive
// operators one matching value is enough; notEquals and notContains hold
// only when no value matches.
func (c *Condition) Match(s string) bool {
	switch c.Operator {
	case "notEquals":
		return !c.any(s, func(s, v string) bool { return s == v })
	case "notContains":
		return !c.any(s, strings.Contains)
	case "equals":
		return c.any(s, func(s, v string) bool { return s == v })
	case "contains":
		return c.any(s, strings.Contains)
	case "startsWith":
		return c.any(s, strings.HasPrefix)
	case "endsWith":
		return c.any(s, strings.HasSuffix)
	case "matches":
		for _, re := range c.res {
			if re.MatchString(s) {
				return true
			}
		}
	}
	return false
}

func (c *Condition) any(s string, f func(s, v string) bool) bool {
	for _, v := range c.Values {
		if f(s, v) {
			return true
		}
	}
	return false
}

// Pattern is an image pattern as excludedImages writes them: an exact
// reference, or a prefix ending in "*" ("myregistry.azurecr.io/istio:*").
// Both sides are compared after normalisation, so "busybox" excludes
// "docker.io/library/busybox:latest".
type Pattern struct {
	prefix string
	exact  string
}

// NewPattern compiles p.
func NewPattern(p string) (Pattern, error) {
	if p == "" {
		return Pattern{}, fmt.Errorf("empty image pattern")
	}
	if strings.HasSuffix(p, "*") {
		stem := strings.TrimSuffix(p, "*")
		if strings.Contains(stem, "*") {
			return Pattern{}, fmt.Errorf("%q: \"*\" is allowed only at the end", p)
		}
		return Pattern{prefix: normalisePrefix(stem)}, nil
	}
	r := Parse(p)
	if r.Err != nil {
		return Pattern{}, r.Err
	}
	return Pattern{exact: r.Path}, nil
}

// NormalisePrefix normalises the start of an image reference as
// NewPattern does for "stem*": "nginx" becomes "docker.io/library/nginx",
// "acme/" "docker.io/acme/".
func NormalisePrefix(stem string) string { return normalisePrefix(stem) }

// normalisePrefix expands a prefix the way the runtime would expand the
// reference it starts, so that it can be compared with normalised paths:
// a leading host (it has a dot or a port, or is "localhost") is made
// canonical, and a Docker Hub name without an organisation gets "library/"
// ("docker.io/nginx:*" → "docker.io/library/nginx:"); a stem without a host
// is a Docker Hub name ("busybox:*" → "docker.io/library/busybox:").
func normalisePrefix(stem string) string {
	if stem == "" {
		return ""
	}
	first, rest, hasSlash := strings.Cut(stem, "/")
	if !hasSlash {
		name, _, _ := strings.Cut(first, ":")
		if strings.Contains(name, ".") || name == "localhost" {
			return CanonicalHost(first) // a registry prefix: "myregistry.azurecr.io*"
		}
		return "docker.io/library/" + stem
	}
	if !strings.ContainsAny(first, ".:") && first != "localhost" {
		return "docker.io/" + stem // an organisation on Docker Hub: "acme/*"
	}
	host := CanonicalHost(first)
	if host == "docker.io" && rest != "" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return host + "/" + rest
}

// Match reports whether the reference matches the pattern.
func (p Pattern) Match(r Ref) bool {
	if r.Err != nil {
		return false
	}
	if p.exact != "" {
		return r.Path == p.exact
	}
	return strings.HasPrefix(r.Path, p.prefix)
}
