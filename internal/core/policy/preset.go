package policy

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed presets/*.yaml
var presetFS embed.FS

// PresetNames lists the built-in presets.
func PresetNames() []string {
	entries, _ := presetFS.ReadDir("presets")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// PresetSource returns a preset's YAML.
func PresetSource(name string) ([]byte, error) {
	data, err := presetFS.ReadFile("presets/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown preset %q (presets: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return data, nil
}

// Preset loads and validates a built-in preset.
func Preset(name string, cat Catalog) (*Policy, error) {
	data, err := PresetSource(name)
	if err != nil {
		return nil, err
	}
	b, err := Load("preset:"+name, data, cat)
	if err != nil {
		return nil, err
	}
	return b.Policies[0], nil
}
