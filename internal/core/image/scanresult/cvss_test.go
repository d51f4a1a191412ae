package scanresult

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCVSS(t *testing.T) {
	tests := []struct {
		vector string
		want   CVSS
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", CVSS{Version: "3.1", BaseScore: 9.8, AttackVector: AttackVectorNetwork, AttackComplexity: AttackComplexityLow, AvailabilityImpact: ImpactHigh}},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", CVSS{Version: "3.0", BaseScore: 9.8, AttackVector: AttackVectorNetwork, AttackComplexity: AttackComplexityLow, AvailabilityImpact: ImpactHigh}},
		{"CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", CVSS{Version: "3.1", BaseScore: 5.3, AttackVector: AttackVectorAdjacent, AttackComplexity: AttackComplexityHigh, AvailabilityImpact: ImpactNone}},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", CVSS{Version: "3.1", BaseScore: 7.8, AttackVector: AttackVectorLocal, AttackComplexity: AttackComplexityLow, AvailabilityImpact: ImpactHigh}},
		{"CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:L", CVSS{Version: "3.0", BaseScore: 3.5, AttackVector: AttackVectorPhysical, AttackComplexity: AttackComplexityLow, AvailabilityImpact: ImpactLow}},
		// Scope changed, metrics in another order, temporal metrics.
		{"CVSS:3.1/S:C/C:L/I:L/A:N/AV:N/AC:L/PR:N/UI:R", CVSS{Version: "3.1", BaseScore: 6.1, AttackVector: AttackVectorNetwork, AttackComplexity: AttackComplexityLow, AvailabilityImpact: ImpactNone}},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H/E:P/RL:O/RC:C", CVSS{Version: "3.1", BaseScore: 7.5, AttackVector: AttackVectorNetwork, AttackComplexity: AttackComplexityLow, AvailabilityImpact: ImpactHigh}},
		{"CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", CVSS{Version: "3.1", BaseScore: 0, AttackVector: AttackVectorNetwork, AttackComplexity: AttackComplexityHigh, AvailabilityImpact: ImpactNone}},
	}
	for _, tt := range tests {
		got, err := ParseCVSS(tt.vector)
		if err != nil {
			t.Errorf("ParseCVSS(%q): %v", tt.vector, err)
			continue
		}
		tt.want.Vector = tt.vector
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseCVSS(%q) (-want +got):\n%s", tt.vector, diff)
		}
	}
}

func TestParseCVSSInvalid(t *testing.T) {
	tests := []struct{ vector, err string }{
		{"", `not a CVSS v3 vector: it must start with "CVSS:3.0/" or "CVSS:3.1/"`},
		{"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `not a CVSS v3 vector: it must start with "CVSS:3.0/" or "CVSS:3.1/"`},
		{"AV:N/AC:L/Au:N/C:P/I:P/A:P", `not a CVSS v3 vector: it must start with "CVSS:3.0/" or "CVSS:3.1/"`},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", `not a CVSS v3 vector: it must start with "CVSS:3.0/" or "CVSS:3.1/"`},
		{"cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `not a CVSS v3 vector: it must start with "CVSS:3.0/" or "CVSS:3.1/"`},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "invalid CVSS v3.1 vector: base metric A is not defined"},
		{"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid CVSS v3.1 vector: invalid metric value"},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L", "invalid CVSS v3.0 vector: given CVSS v3.0 vector has A metric abbreviation defined multiple times"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "invalid CVSS v3.1 vector: invalid metric abbreviation : "},
		{"CVSS:3.1/", "invalid CVSS v3.1 vector: invalid metric abbreviation : "},
	}
	for _, tt := range tests {
		got, err := ParseCVSS(tt.vector)
		if err == nil || err.Error() != tt.err {
			t.Errorf("ParseCVSS(%q) = %+v, %v; want error %q", tt.vector, got, err, tt.err)
		}
	}
}

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Severity
		rank int
	}{
		{"CRITICAL", SeverityCritical, 4}, {"high", SeverityHigh, 3}, {"Medium", SeverityMedium, 2},
		{"LOW", SeverityLow, 1}, {"UNKNOWN", SeverityUnknown, 0}, {"", SeverityUnknown, 0}, {"NONE", SeverityUnknown, 0},
	} {
		got, err := ParseSeverity(tt.in)
		if err != nil || got != tt.want || got.Rank() != tt.rank {
			t.Errorf("ParseSeverity(%q) = %q (rank %d), %v", tt.in, got, got.Rank(), err)
		}
	}
	if _, err := ParseSeverity("SEVERE"); err == nil {
		t.Error("ParseSeverity(SEVERE): want an error")
	}
}
