package scanresult

import (
	"errors"
	"fmt"
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
)

// AttackVector is CVSS v3's AV metric, spelled as policies write it.
type AttackVector string

// The attack vectors.
const (
	AttackVectorNetwork  AttackVector = "network"
	AttackVectorAdjacent AttackVector = "adjacent"
	AttackVectorLocal    AttackVector = "local"
	AttackVectorPhysical AttackVector = "physical"
)

// AttackComplexity is CVSS v3's AC metric.
type AttackComplexity string

// The attack complexities.
const (
	AttackComplexityLow  AttackComplexity = "low"
	AttackComplexityHigh AttackComplexity = "high"
)

// Impact is a CVSS v3 impact metric (here: A, availability).
type Impact string

// The impacts.
const (
	ImpactNone Impact = "none"
	ImpactLow  Impact = "low"
	ImpactHigh Impact = "high"
)

// CVSS is a CVSS v3.0 or v3.1 base assessment: the vector as written and
// the metrics Palisade's rules filter on, read from it by
// github.com/pandatix/go-cvss.
type CVSS struct {
	// Vector is the vector string ("CVSS:3.1/AV:N/AC:L/..."); empty when
	// the report gives only a score (Trivy Operator without the CVSS
	// field), and then the metrics are empty too.
	Vector string `json:"vector,omitempty"`
	// Version is "3.0" or "3.1"; empty without a vector.
	Version string `json:"version,omitempty"`
	// Source is the vendor whose assessment this is ("nvd", "redhat"), as
	// the report names it; empty when the report does not say.
	Source string `json:"source,omitempty"`
	// BaseScore is the score the report gives, or when it gives none the
	// base score computed from the vector.
	BaseScore          float64          `json:"baseScore"`
	AttackVector       AttackVector     `json:"attackVector,omitempty"`
	AttackComplexity   AttackComplexity `json:"attackComplexity,omitempty"`
	AvailabilityImpact Impact           `json:"availabilityImpact,omitempty"`
}

// The metric values of a vector, as go-cvss returns them.
var (
	attackVectors      = map[string]AttackVector{"N": AttackVectorNetwork, "A": AttackVectorAdjacent, "L": AttackVectorLocal, "P": AttackVectorPhysical}
	attackComplexities = map[string]AttackComplexity{"L": AttackComplexityLow, "H": AttackComplexityHigh}
	impacts            = map[string]Impact{"N": ImpactNone, "L": ImpactLow, "H": ImpactHigh}
)

// metricGetter is what the v3.0 and v3.1 vectors of go-cvss have in common.
type metricGetter interface {
	Get(abv string) (string, error)
	BaseScore() float64
}

// ParseCVSS parses a CVSS v3.0 or v3.1 vector with go-cvss. The vector
// must start with its version ("CVSS:3.1/"), as the CVSS v3 specification
// requires, and define every base metric once with a valid value.
func ParseCVSS(vector string) (CVSS, error) {
	var (
		m       metricGetter
		err     error
		version string
	)
	switch {
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		version = "3.1"
		var v *gocvss31.CVSS31
		if v, err = gocvss31.ParseVector(vector); err == nil {
			m = v
		}
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		version = "3.0"
		var v *gocvss30.CVSS30
		if v, err = gocvss30.ParseVector(vector); err == nil {
			m = v
		}
	default:
		return CVSS{}, errors.New(`not a CVSS v3 vector: it must start with "CVSS:3.0/" or "CVSS:3.1/"`)
	}
	if err != nil {
		return CVSS{}, fmt.Errorf("invalid CVSS v%s vector: %w", version, err)
	}
	c := CVSS{Vector: vector, Version: version, BaseScore: m.BaseScore()}
	av, _ := m.Get("AV")
	ac, _ := m.Get("AC")
	a, _ := m.Get("A")
	c.AttackVector = attackVectors[av]
	c.AttackComplexity = attackComplexities[ac]
	c.AvailabilityImpact = impacts[a]
	if c.AttackVector == "" || c.AttackComplexity == "" || c.AvailabilityImpact == "" {
		return CVSS{}, fmt.Errorf("invalid CVSS v%s vector: missing a base metric", version)
	}
	return c, nil
}

// ValidScore reports whether s can be a CVSS base score.
func ValidScore(s float64) bool { return s >= 0 && s <= 10 }
