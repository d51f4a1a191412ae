package scanreport

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/palisade-dev/palisade/internal/core/image"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// Sources is one index built from several named sources of scan results
// (a watched directory, the cluster's Trivy Operator reports, the
// console). Setting a source rebuilds the index off to the side and swaps
// it in: lookups never wait for a rebuild and always see a whole index.
// It is safe for concurrent use.
type Sources struct {
	mu      sync.Mutex // serialises Set
	sources map[string][]*scanresult.Image
	current atomic.Pointer[scanresult.Index]
}

// NewSources returns an empty set of sources.
func NewSources() *Sources {
	s := &Sources{sources: map[string][]*scanresult.Image{}}
	s.current.Store(scanresult.NewIndex())
	return s
}

// Set replaces the images of source name and rebuilds the index. Sources
// are merged in name order, so that the result does not depend on which
// was set last. The images the index refuses (an invalid reference or
// digest) are left out and reported in the error; the others are used.
func (s *Sources) Set(name string, images []*scanresult.Image) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	valid := make([]*scanresult.Image, 0, len(images))
	for i, im := range images {
		if _, err := scanresult.Normalise(im); err != nil {
			errs = append(errs, fmt.Errorf("%s: image %d: %w", name, i, err))
			continue
		}
		valid = append(valid, im)
	}
	s.sources[name] = valid
	names := make([]string, 0, len(s.sources))
	for n := range s.sources {
		names = append(names, n)
	}
	slices.Sort(names)
	x := scanresult.NewIndex()
	for _, n := range names {
		if err := x.Add(s.sources[n]...); err != nil {
			errs = append(errs, err) // cannot happen: every image was checked
		}
	}
	s.current.Store(x)
	return errors.Join(errs...)
}

// Index is the current index; it never changes once returned.
func (s *Sources) Index() *scanresult.Index { return s.current.Load() }

// Len is the number of distinct images in the current index.
func (s *Sources) Len() int { return s.current.Load().Len() }

// LookupRef implements rules.ScanResults on the current index.
func (s *Sources) LookupRef(r image.Ref, digest string) (*scanresult.Image, bool) {
	return s.current.Load().LookupRef(r, digest)
}

// Lookup is Index.Lookup on the current index.
func (s *Sources) Lookup(imageRef, digest string) (*scanresult.Image, bool) {
	return s.current.Load().Lookup(imageRef, digest)
}
