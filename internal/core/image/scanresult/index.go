package scanresult

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/palisade-dev/palisade/internal/core/image"
)

// Index holds scan results in memory, by digest and by normalised
// reference, for lookups on the admission path. It is safe for concurrent
// use. Its keys are normalised when an image is added, so that a lookup
// is two map reads and allocates nothing.
type Index struct {
	mu sync.RWMutex
	// byDigest maps every manifest digest and image ID to its image.
	byDigest map[string]*Image
	// byRef maps a normalised reference ("docker.io/library/nginx:1.25")
	// to the images tagged so, most recently scanned first. There is more
	// than one when the tag was scanned at several digests, or without one.
	byRef map[string][]*Image
	n     int
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{byDigest: map[string]*Image{}, byRef: map[string][]*Image{}}
}

// Len is the number of distinct images in the index.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// Images returns every image in the index, in no particular order.
func (x *Index) Images() []*Image {
	x.mu.RLock()
	defer x.mu.RUnlock()
	seen := make(map[*Image]bool, x.n)
	out := make([]*Image, 0, x.n)
	add := func(im *Image) {
		if !seen[im] {
			seen[im] = true
			out = append(out, im)
		}
	}
	for _, im := range x.byDigest {
		add(im)
	}
	for _, list := range x.byRef {
		for _, im := range list {
			add(im)
		}
	}
	return out
}

// Add adds images to the index, merging each with what the index already
// knows of the same image: images sharing a digest or image ID are one
// image, and so are images that both have no digest and share a reference.
// Merged, each scan type keeps its latest scan and that scan's findings (on
// equal times, the image added last wins); digests and references are
// united. Add copies the images, normalising their references: changing
// them afterwards changes nothing in the index. An invalid digest or
// reference is an error, and then nothing is added.
func (x *Index) Add(images ...*Image) error {
	_, err := x.Update(images...)
	return err
}

// Changes is what an Update did to an index: the images it now holds that
// it did not before (new or merged), and those it no longer holds
// (merged into one of Added). A store that mirrors the index deletes
// Removed and writes Added, by Key.
type Changes struct {
	Added, Removed []*Image
}

// Update is Add, reporting the changes.
func (x *Index) Update(images ...*Image) (Changes, error) {
	norm := make([]*Image, 0, len(images))
	for i, im := range images {
		n, err := Normalise(im)
		if err != nil {
			return Changes{}, fmt.Errorf("image %d: %w", i, err)
		}
		norm = append(norm, n)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	added := map[*Image]bool{}
	var ch Changes
	for _, n := range norm {
		merged := n
		related := x.related(n)
		for _, e := range related {
			merged = mergeImages(e, merged)
		}
		for _, e := range related {
			x.remove(e)
			if added[e] {
				delete(added, e) // added and merged again in this call
			} else {
				ch.Removed = append(ch.Removed, e)
			}
		}
		x.insert(merged)
		added[merged] = true
		ch.Added = append(ch.Added, merged)
	}
	ch.Added = slices.DeleteFunc(ch.Added, func(im *Image) bool { return !added[im] })
	return ch, nil
}

// Key identifies an image among those of one index, for a store that
// mirrors it: "sha256:..." (its first digest, or its image ID) for an image
// with a digest, else "ref:" and its first reference. An image's key
// changes when a merge gives it a digest or a smaller one.
func (im *Image) Key() string {
	if keys := digestKeys(im); len(keys) > 0 {
		return keys[0]
	}
	if len(im.References) > 0 {
		return "ref:" + im.References[0]
	}
	return ""
}

// Normalise checks an image and returns a copy, sharing nothing with it,
// with normalised references and sorted digests and scans.
func Normalise(im *Image) (*Image, error) {
	n := *im
	n.Digests = nil
	for _, d := range im.Digests {
		if err := CheckDigest(d); err != nil {
			return nil, err
		}
		if !slices.Contains(n.Digests, d) {
			n.Digests = append(n.Digests, d)
		}
	}
	slices.Sort(n.Digests)
	if n.ImageID != "" {
		if err := CheckDigest(n.ImageID); err != nil {
			return nil, fmt.Errorf("image ID: %w", err)
		}
	}
	n.References = nil
	for _, s := range im.References {
		k, d, err := ParseReference(s)
		if err != nil {
			return nil, err
		}
		if k == "" {
			return nil, fmt.Errorf("reference %q has no tag: give its digest in Digests", s)
		}
		if d != "" && !slices.Contains(n.Digests, d) {
			return nil, fmt.Errorf("reference %q pins a digest that is not among the image's digests", s)
		}
		if !slices.Contains(n.References, k) {
			n.References = append(n.References, k)
		}
	}
	slices.Sort(n.References)
	if len(n.Digests) == 0 && n.ImageID == "" && len(n.References) == 0 {
		return nil, fmt.Errorf("no digest, image ID or reference")
	}
	n.Vulnerabilities = slices.Clone(im.Vulnerabilities)
	for i, v := range n.Vulnerabilities {
		if v.CVSS != nil {
			c := *v.CVSS
			n.Vulnerabilities[i].CVSS = &c
		}
	}
	n.Secrets = slices.Clone(im.Secrets)
	n.Malware = slices.Clone(im.Malware)
	n.Scans = slices.Clone(im.Scans)
	for _, s := range n.Scans {
		if !s.Type.Valid() {
			return nil, fmt.Errorf("unsupported scan type %q", s.Type)
		}
	}
	SortScans(n.Scans)
	for i := 1; i < len(n.Scans); i++ {
		if n.Scans[i].Type == n.Scans[i-1].Type {
			return nil, fmt.Errorf("two %s scans", n.Scans[i].Type)
		}
	}
	return &n, nil
}

func SortScans(s []Scan) {
	slices.SortStableFunc(s, func(a, b Scan) int { return a.Type.order() - b.Type.order() })
}

// digestKeys are the keys an image is found by digest under.
func digestKeys(im *Image) []string {
	if im.ImageID == "" || slices.Contains(im.Digests, im.ImageID) {
		return im.Digests
	}
	return append(slices.Clip(im.Digests), im.ImageID)
}

// related returns the images in the index that n is the same image as.
func (x *Index) related(n *Image) []*Image {
	var out []*Image
	add := func(im *Image) {
		if !slices.Contains(out, im) {
			out = append(out, im)
		}
	}
	keys := digestKeys(n)
	for _, d := range keys {
		if im, ok := x.byDigest[d]; ok {
			add(im)
		}
	}
	if len(keys) == 0 {
		for _, k := range n.References {
			for _, im := range x.byRef[k] {
				if len(digestKeys(im)) == 0 {
					add(im)
				}
			}
		}
	}
	return out
}

func (x *Index) remove(im *Image) {
	for _, d := range digestKeys(im) {
		if x.byDigest[d] == im {
			delete(x.byDigest, d)
		}
	}
	for _, k := range im.References {
		list := slices.DeleteFunc(x.byRef[k], func(e *Image) bool { return e == im })
		if len(list) == 0 {
			delete(x.byRef, k)
		} else {
			x.byRef[k] = list
		}
	}
	x.n--
}

func (x *Index) insert(im *Image) {
	for _, d := range digestKeys(im) {
		x.byDigest[d] = im
	}
	last := im.LastScan()
	for _, k := range im.References {
		list := x.byRef[k]
		// Most recent scan first; before others of the same time.
		i := 0
		for i < len(list) && list[i].LastScan().After(last) {
			i++
		}
		x.byRef[k] = slices.Insert(list, i, im)
	}
	x.n++
}

// mergeImages returns what older and newer say of one image together: per
// scan type the later scan (newer's on a tie) with its findings.
func mergeImages(older, newer *Image) *Image {
	m := &Image{ImageID: newer.ImageID}
	if m.ImageID == "" {
		m.ImageID = older.ImageID
	}
	m.Digests = union(older.Digests, newer.Digests)
	m.References = union(older.References, newer.References)
	for _, t := range ScanTypes() {
		os, inOld := older.Scan(t)
		ns, inNew := newer.Scan(t)
		if !inOld && !inNew {
			continue
		}
		from, s := newer, ns
		if !inNew || inOld && os.Time.After(ns.Time) {
			from, s = older, os
		}
		m.Scans = append(m.Scans, s)
		switch t {
		case ScanVulnerability:
			m.Vulnerabilities = from.Vulnerabilities
		case ScanMalware:
			m.Malware = from.Malware
		case ScanSecret:
			m.Secrets = from.Secrets
		}
	}
	return m
}

func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// Lookup finds the scan results of the image a container runs: imageRef as
// the pod spec names it, and digest the digest it runs, when known ("" if
// not; "name@sha256:..." as a pod status's imageID is accepted). A digest
// pinned in imageRef counts when digest is empty.
//
// A digest match comes first. Otherwise the reference is looked up, and
// an image found by it counts only when its recorded digest is unknown
// or digest is: a tag that now points at a different digest than the one
// scanned is unscanned. With an empty digest the tag is trusted.
//
// Lookup allocates nothing when imageRef is normalised
// ("docker.io/library/nginx:1.25"); otherwise it normalises it with
// image.Parse, whose cache makes repeated references cheap. The Image
// returned is shared: do not modify it. A nil Index holds nothing.
func (x *Index) Lookup(imageRef, digest string) (*Image, bool) {
	if x == nil {
		return nil, false
	}
	key := imageRef
	if i := strings.LastIndexByte(imageRef, '@'); i >= 0 {
		key = imageRef[:i]
		if digest == "" {
			digest = imageRef[i+1:]
		}
		if !validDigest(imageRef[i+1:]) {
			key = "" // invalid: image.Parse will say so
		}
	}
	if i := strings.LastIndexByte(digest, '@'); i >= 0 {
		digest = digest[i+1:]
	}
	x.mu.RLock()
	if im, ok := x.byDigest[digest]; ok && digest != "" {
		x.mu.RUnlock()
		return im, true
	}
	if list, ok := x.byRef[key]; ok {
		im, found := pick(list, digest)
		x.mu.RUnlock()
		return im, found
	}
	x.mu.RUnlock()
	k := refKey(image.Parse(imageRef))
	if k == "" || k == key {
		return nil, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return pick(x.byRef[k], digest)
}

// LookupRef is Lookup for a reference already parsed (as the engine parses
// every container's image); it allocates nothing.
func (x *Index) LookupRef(r image.Ref, digest string) (*Image, bool) {
	if x == nil {
		return nil, false
	}
	if digest == "" {
		digest = r.Digest
	}
	if i := strings.LastIndexByte(digest, '@'); i >= 0 {
		digest = digest[i+1:]
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if im, ok := x.byDigest[digest]; ok && digest != "" {
		return im, true
	}
	k := refKey(r)
	if k == "" {
		return nil, false
	}
	return pick(x.byRef[k], digest)
}

// pick returns the first (most recently scanned) image of list that may
// stand for an image running digest.
func pick(list []*Image, digest string) (*Image, bool) {
	for _, im := range list {
		if digest == "" || len(im.Digests) == 0 {
			return im, true
		}
	}
	return nil, false
}
