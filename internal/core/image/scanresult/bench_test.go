package scanresult

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/image"
)

const benchImages = 100_000

var bench struct {
	once    sync.Once
	index   *Index
	refs    []string // normalised
	short   []string // as a pod spec writes them (Docker Hub, short)
	digests []string
}

// benchIndex builds an index of 100,000 images, each with a digest and a
// tag; half of them on Docker Hub, so that their short spelling needs
// normalising.
func benchIndex(b *testing.B) *Index {
	bench.once.Do(func() {
		images := make([]*Image, benchImages)
		for i := range benchImages {
			sum := sha256.Sum256(fmt.Appendf(nil, "image %d", i))
			d := "sha256:" + hex.EncodeToString(sum[:])
			short := fmt.Sprintf("registry.example.com/team%d/app%d:1.%d", i%500, i, i%7)
			if i%2 == 0 {
				short = fmt.Sprintf("team%d/app%d:1.%d", i%500, i, i%7)
			}
			images[i] = &Image{
				Digests:         []string{d},
				References:      []string{short},
				Scans:           []Scan{{Type: ScanVulnerability, Time: at(1 + i%28)}},
				Vulnerabilities: []Vulnerability{{ID: "CVE-2024-45492", Severity: SeverityCritical}},
			}
			bench.digests = append(bench.digests, d)
			bench.short = append(bench.short, short)
			bench.refs = append(bench.refs, refKey(image.Parse(short)))
		}
		bench.index = NewIndex()
		if err := bench.index.Add(images...); err != nil {
			panic(err)
		}
	})
	if bench.index.Len() != benchImages {
		b.Fatalf("index holds %d images", bench.index.Len())
	}
	return bench.index
}

// BenchmarkLookup measures one container's lookup in an index of 100,000
// images. The working set is what a cluster runs: a few thousand distinct
// images, looked up again and again (image.Parse caches 8,192).
func BenchmarkLookup(b *testing.B) {
	x := benchIndex(b)
	const working = 4096
	step := benchImages / working
	run := func(name string, f func(i int) bool) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if !f((i % working) * step) {
					b.Fatal("lookup failed")
				}
				i++
			}
		})
	}
	run("digest", func(i int) bool {
		_, ok := x.Lookup(bench.short[i], bench.digests[i])
		return ok
	})
	run("normalised-reference", func(i int) bool {
		_, ok := x.Lookup(bench.refs[i], "")
		return ok
	})
	run("pod-spec-reference", func(i int) bool {
		_, ok := x.Lookup(bench.short[i], "")
		return ok
	})
	parsed := make([]image.Ref, benchImages)
	for i := 0; i < benchImages; i += step {
		parsed[i] = image.Parse(bench.short[i])
	}
	run("parsed-reference", func(i int) bool {
		_, ok := x.LookupRef(parsed[i], "")
		return ok
	})
	run("retagged-miss", func(i int) bool {
		_, ok := x.Lookup(bench.refs[i], digestC)
		return !ok
	})
	b.Run("digest-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				j := (i % working) * step
				if _, ok := x.Lookup(bench.short[j], bench.digests[j]); !ok {
					b.Error("lookup failed")
					return
				}
				i++
			}
		})
	})
	// Every one of the 100,000 spellings in turn: image.Parse's cache
	// cannot hold them, so half the lookups parse (the Docker Hub ones).
	b.Run("pod-spec-reference-cold", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok := x.Lookup(bench.short[i%benchImages], ""); !ok {
				b.Fatal("lookup failed")
			}
			i++
		}
	})
}
