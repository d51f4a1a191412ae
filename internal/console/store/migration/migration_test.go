package migration

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_events.sql": {Data: []byte("two")},
		"m/0001_init.sql":   {Data: []byte("one")},
		"m/README":          {Data: []byte("ignored")},
	}
	ms, err := Load(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Name != "0001_init" || ms[1].Version != 2 || ms[1].SQL != "two" {
		t.Fatalf("Load = %+v", ms)
	}
	if p, err := Pending(ms, 1); err != nil || len(p) != 1 || p[0].Version != 2 {
		t.Errorf("Pending(1) = %+v, %v", p, err)
	}
	if _, err := Pending(ms, 3); err == nil {
		t.Error("Pending(3) of 2: want an error")
	}
}

func TestLoadRejects(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
		"bad name":  {"m/init.sql": {}},
		"short":     {"m/1_init.sql": {}},
		"empty":     {"m/x.txt": {}},
	} {
		if _, err := Load(fsys, "m"); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
