package main

import (
	"fmt"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// loadPolicy reads --policy FILE or the named preset and compiles it.
func loadPolicy(reg *rules.Registry, file, preset string) (*engine.Compiled, error) {
	var p *policy.Policy
	if file != "" {
		b, err := policy.LoadFile(file, reg)
		if err != nil {
			return nil, badInput(err)
		}
		if len(b.Policies) != 1 {
			return nil, badInput(fmt.Errorf("%s: expected exactly one Policy document, found %d", file, len(b.Policies)))
		}
		p = b.Policies[0]
	} else {
		var err error
		if p, err = policy.Preset(preset, reg); err != nil {
			return nil, badInput(err)
		}
	}
	c, err := engine.Compile(p, reg)
	if err != nil {
		return nil, badInput(err)
	}
	return c, nil
}
