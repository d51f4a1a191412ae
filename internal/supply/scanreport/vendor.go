package scanreport

import "slices"

// vendorOrder is the order in which the vendors' vectors of one finding are
// tried: "nvd" first, then preferred (the advisory source Trivy took the
// severity from), then the others alphabetically, so that the choice never
// depends on map order.
//
// NVD first because that is what Trivy users see elsewhere: Trivy
// Operator's report score is NVD's V3 score when there is one, and Trivy's
// own links point at NVD entries. NVD scores the vulnerability as
// published, independent of how a distribution built the package; a
// distribution's own assessment (Red Hat scoring a network bug "local" in
// its build) is used when NVD has none.
func vendorOrder(vendors []string, preferred string) []string {
	out := make([]string, 0, len(vendors))
	rest := make([]string, 0, len(vendors))
	hasNVD, hasPreferred := false, false
	for _, v := range vendors {
		switch {
		case v == "nvd":
			hasNVD = true
		case v == preferred && preferred != "":
			hasPreferred = true
		default:
			rest = append(rest, v)
		}
	}
	if hasNVD {
		out = append(out, "nvd")
	}
	if hasPreferred {
		out = append(out, preferred)
	}
	slices.Sort(rest)
	return append(out, rest...)
}
