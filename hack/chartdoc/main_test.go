package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chart is the chart's folder from this package's.
var chart = filepath.Join("..", "..", Chart)

func TestReadmeValuesTableIsCurrent(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(chart, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	table, err := Table(chart)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Splice(readme, table)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readme, want) {
		t.Fatalf("%s/README.md: the values table is stale; regenerate it from the repository root with:\n\n\tgo run ./hack/chartdoc", Chart)
	}
}

func TestEveryValueIsDescribed(t *testing.T) {
	missing, err := Undescribed(chart)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("values.yaml has values without a description in values.schema.json (add one, then go run ./hack/chartdoc):\n%s",
			strings.Join(missing, "\n"))
	}
}

func TestFormatDefault(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{"", "`\"\"`"},
		{"ghcr.io/x", "`ghcr.io/x`"},
		{"a\nb", "see values.yaml"},
		{true, "`true`"},
		{float64(8443), "`8443`"},
		{map[string]any{}, "`{}`"},
		{[]any{}, "`[]`"},
		{[]any{"ReadWriteOnce"}, "`[\"ReadWriteOnce\"]`"},
		{map[string]any{"cpu": "1"}, "see values.yaml"},
	} {
		if got := formatDefault(Row{Default: tc.v, HasDefault: true}); got != tc.want {
			t.Errorf("formatDefault(%#v) = %s, want %s", tc.v, got, tc.want)
		}
	}
	if got := cell("a | b"); got != `a \| b` {
		t.Errorf("cell = %q", got)
	}
}
