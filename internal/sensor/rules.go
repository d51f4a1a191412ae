package sensor

import (
	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
)

// DefaultRules are the rules the sensor evaluates when given none: Falco's
// published stable rules (internal/core/ruleset/library/README.md).
func DefaultRules() []falco.File { return []falco.File{ruleset.StableRules()} }
