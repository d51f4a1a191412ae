package scanreport

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVendorOrder(t *testing.T) {
	tests := []struct {
		vendors   []string
		preferred string
		want      []string
	}{
		{[]string{"redhat", "nvd"}, "redhat", []string{"nvd", "redhat"}},
		{[]string{"redhat", "ghsa", "amazon"}, "redhat", []string{"redhat", "amazon", "ghsa"}},
		{[]string{"redhat", "ghsa", "amazon"}, "debian", []string{"amazon", "ghsa", "redhat"}},
		{[]string{"nvd", "ghsa"}, "", []string{"nvd", "ghsa"}},
		{nil, "nvd", []string{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, vendorOrder(tt.vendors, tt.preferred)); diff != "" {
			t.Errorf("vendorOrder(%v, %q) (-want +got):\n%s", tt.vendors, tt.preferred, diff)
		}
	}
}
