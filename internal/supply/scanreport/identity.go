package scanreport

import (
	"slices"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// identity holds an image's identity while a report is read.
type identity struct {
	digests []string
	imageID string
	refs    []string
}

func (id *identity) addDigest(d string) {
	if d != "" && !slices.Contains(id.digests, d) {
		id.digests = append(id.digests, d)
	}
}

func (id *identity) addRef(k string) {
	if k != "" && !slices.Contains(id.refs, k) {
		id.refs = append(id.refs, k)
	}
}

// addReference adds a reference's tag and digest.
func (id *identity) addReference(s string) error {
	k, d, err := scanresult.ParseReference(s)
	if err != nil {
		return err
	}
	id.addRef(k)
	id.addDigest(d)
	return nil
}

func (id *identity) empty() bool {
	return len(id.digests) == 0 && id.imageID == "" && len(id.refs) == 0
}

func (id *identity) image() *scanresult.Image {
	im := &scanresult.Image{ImageID: id.imageID}
	if len(id.digests) > 0 {
		im.Digests = slices.Sorted(slices.Values(id.digests))
	}
	if len(id.refs) > 0 {
		im.References = slices.Sorted(slices.Values(id.refs))
	}
	return im
}
