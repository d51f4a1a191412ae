package image

import (
	"fmt"
	"strings"
	"sync"

	"github.com/distribution/reference"
)

// Ref is a parsed, normalised image reference.
type Ref struct {
	// Raw is the reference as written in the manifest.
	Raw string
	// Registry is the host, e.g. "docker.io".
	Registry string
	// Name is the repository path without the registry; Docker Hub's
	// implicit "library/" is dropped ("busybox", "acme/api").
	Name string
	// Tag is the tag; "latest" when there is neither tag nor digest.
	Tag string
	// Digest is the content digest, when the reference pins one.
	Digest string
	// Path is the whole normalised reference
	// ("docker.io/library/busybox:latest").
	Path string
	// Err is set when Raw is not a valid reference; the other fields
	// except Raw and Path are then empty and Path equals Raw.
	Err error
}

// cache remembers parsed references: a cluster runs few distinct images, and
// parsing one costs more than the rest of a container's checks.
var cache struct {
	sync.RWMutex
	m map[string]Ref
}

// cacheSize bounds the cache; when full it is cleared (cheap, and the
// working set refills it at once).
const cacheSize = 8192

// Parse normalises s. It never fails outright: an invalid reference comes
// back with Err set so that rules can treat it as a violation (fail closed).
func Parse(s string) Ref {
	cache.RLock()
	r, ok := cache.m[s]
	cache.RUnlock()
	if ok {
		return r
	}
	r = parse(s)
	cache.Lock()
	if cache.m == nil || len(cache.m) >= cacheSize {
		cache.m = make(map[string]Ref, 256)
	}
	cache.m[s] = r
	cache.Unlock()
	return r
}

func parse(s string) Ref {
	named, err := reference.ParseNormalizedNamed(strings.TrimSpace(s))
	if err != nil || strings.TrimSpace(s) != s {
		if err == nil {
			err = fmt.Errorf("surrounding white space")
		}
		return Ref{Raw: s, Path: s, Err: fmt.Errorf("invalid image reference %q: %w", s, err)}
	}
	if reference.Domain(named) == "" {
		// A first component with a dot that is no host name ("a_b.c/x"):
		// the runtime would take it for a registry it cannot reach, so the
		// reference names no image; an empty registry must not slip past
		// registry conditions.
		return Ref{Raw: s, Path: s, Err: fmt.Errorf("invalid image reference %q: %q is not a valid registry host", s, strings.SplitN(s, "/", 2)[0])}
	}
	r := Ref{Raw: s, Registry: CanonicalHost(reference.Domain(named))}
	repo := reference.Path(named)
	if r.Registry == "docker.io" && !strings.Contains(repo, "/") {
		repo = "library/" + repo // index.docker.io/redis is docker.io/library/redis
	}
	r.Name = repo
	if r.Registry == "docker.io" {
		r.Name = strings.TrimPrefix(repo, "library/")
	}
	if t, ok := named.(reference.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		r.Digest = d.Digest().String()
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	var b strings.Builder
	b.WriteString(r.Registry)
	b.WriteByte('/')
	b.WriteString(repo)
	if r.Tag != "" {
		b.WriteByte(':')
		b.WriteString(r.Tag)
	}
	if r.Digest != "" {
		b.WriteByte('@')
		b.WriteString(r.Digest)
	}
	r.Path = b.String()
	return r
}

// CanonicalHost returns the registry host as the runtime connects to it:
// lower case (DNS is case-insensitive), without the default HTTPS port, and
// Docker Hub's legacy names folded into "docker.io". So "EVIL.io:443" cannot
// pass where "evil.io" is denied.
func CanonicalHost(h string) string {
	h = strings.ToLower(h)
	h = strings.TrimSuffix(h, ":443")
	switch h {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "docker.io"
	}
	return h
}

// Part names one part of a reference, as exception types and image rules do.
type Part string

// The parts of a reference a condition can look at.
const (
	PartRegistry Part = "registry"
	PartName     Part = "name"
	PartTag      Part = "tag"
	PartPath     Part = "path"
)

// Get returns the named part.
func (r Ref) Get(p Part) string {
	switch p {
	case PartRegistry:
		return r.Registry
	case PartName:
		return r.Name
	case PartTag:
		return r.Tag
	default:
		return r.Path
	}
}
