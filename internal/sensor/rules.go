package sensor

import (
	_ "embed"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

//go:embed rules/falco_rules.yaml
var stableRules []byte

// DefaultRules are the rules the sensor evaluates when given none: Falco's
// published stable rules (rules/README.md).
func DefaultRules() []falco.File {
	return []falco.File{{Name: "falco_rules.yaml (built in)", Data: stableRules}}
}
