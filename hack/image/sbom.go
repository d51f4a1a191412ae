package main

import (
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
)

// The CycloneDX 1.5 document hack/image writes: the binary as the
// application, the Go modules linked into it (from the build information
// the Go toolchain embeds, the same graph `go version -m` prints) as
// libraries, the Go toolchain as a platform component.
type bom struct {
	BOMFormat    string      `json:"bomFormat"`
	SpecVersion  string      `json:"specVersion"`
	SerialNumber string      `json:"serialNumber"`
	Version      int         `json:"version"`
	Metadata     bomMetadata `json:"metadata"`
	Components   []component `json:"components"`
}

type bomMetadata struct {
	Timestamp string    `json:"timestamp"`
	Tools     bomTools  `json:"tools"`
	Component component `json:"component"`
}

type bomTools struct {
	Components []component `json:"components"`
}

type component struct {
	Type       string     `json:"type"`
	BOMRef     string     `json:"bom-ref,omitempty"`
	Name       string     `json:"name"`
	Version    string     `json:"version,omitempty"`
	PURL       string     `json:"purl,omitempty"`
	Hashes     []bomHash  `json:"hashes,omitempty"`
	Properties []property `json:"properties,omitempty"`
}

type bomHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// cycloneDX reads the binary's build information and describes it. The
// serial number is derived from the image digest, so the document is as
// reproducible as the image.
func cycloneDX(bin string, o options, commit string, created time.Time, digest string) ([]byte, error) {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("build information of %s: %w", bin, err)
	}
	serial := uuid.NewSHA1(uuid.NameSpaceURL, []byte("oci:"+digest)).URN()
	purl := "pkg:golang/" + bi.Main.Path + "@" + o.version
	main := component{
		Type: "application", BOMRef: purl, Name: bi.Path, Version: o.version, PURL: purl,
		Properties: []property{{"vcs.revision", commit}, {"image.digest", digest}},
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS", "GOARCH", "CGO_ENABLED", "-trimpath", "-ldflags":
			main.Properties = append(main.Properties, property{"go.build." + s.Key, s.Value})
		}
	}
	var comps []component
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		c := component{Type: "library", BOMRef: "pkg:golang/" + m.Path + "@" + m.Version, Name: m.Path, Version: m.Version,
			PURL: "pkg:golang/" + m.Path + "@" + m.Version}
		if m.Sum != "" {
			c.Properties = append(c.Properties, property{"go.sum", m.Sum})
		}
		if d.Replace != nil {
			c.Properties = append(c.Properties, property{"go.replaces", d.Path + "@" + d.Version})
		}
		comps = append(comps, c)
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i].BOMRef < comps[j].BOMRef })
	comps = append(comps, component{Type: "platform", Name: "go", Version: bi.GoVersion, PURL: "pkg:golang/std@" + bi.GoVersion})
	doc := bom{
		BOMFormat: "CycloneDX", SpecVersion: "1.5", SerialNumber: serial, Version: 1,
		Metadata: bomMetadata{
			Timestamp: created.Format(time.RFC3339),
			Tools:     bomTools{Components: []component{{Type: "application", Name: "palisade hack/image"}}},
			Component: main,
		},
		Components: comps,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
