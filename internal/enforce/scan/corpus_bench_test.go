package scan

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// BenchmarkScanCorpus scans the corpus in $PALISADE_CORPUS (made by
// hack/bench/gencorpus) with the preset $PALISADE_PRESET (recommended when
// unset), JSON output.
func BenchmarkScanCorpus(b *testing.B) {
	dir := os.Getenv("PALISADE_CORPUS")
	if dir == "" {
		b.Skip("set PALISADE_CORPUS to a corpus made by hack/bench/gencorpus")
	}
	reg, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	preset := os.Getenv("PALISADE_PRESET")
	if preset == "" {
		preset = "recommended"
	}
	p, err := policy.Preset(preset, reg)
	if err != nil {
		b.Fatal(err)
	}
	c, err := engine.Compile(p, reg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		w := Formats()["json"](io.Discard, nil)
		sum, err := New(Options{Policy: c, Roles: c.ReadsRoles(), Inventory: c.ReadsInventory()}).Run(context.Background(), []string{dir}, w)
		if err != nil || sum.Errors > 0 {
			b.Fatal(err, sum)
		}
		b.ReportMetric(float64(sum.Objects), "objects/op")
	}
}
