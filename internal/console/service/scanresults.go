package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/supply/scanreport"
)

// ImportSummary is what importing one scan report did.
type ImportSummary struct {
	// Format is the report's format: trivy, trivy-operator or palisade.
	Format scanreport.Format `json:"format"`
	// Images is how many images the report describes (one per report or
	// resource; two may be the same image).
	Images int `json:"images"`
	// Added is how many images the index holds that it did not before:
	// new ones, and ones merged with results it had. Removed is how many
	// it no longer holds, each merged into one of those.
	Added   int `json:"added"`
	Removed int `json:"removed"`
	// Warnings are what was imported but not exactly as written, each
	// "NAME:LINE: message".
	Warnings []string `json:"warnings"`
}

// ImportScanResults imports a scan report: a Trivy JSON report, Trivy
// Operator resources or Palisade ScanResults, told apart by their content.
// name names the report in problems and in each scan's source. A report
// that cannot be imported is a *scanreport.Error listing every problem
// with its line and field, and nothing changes.
//
// The index is changed first, then the store's mirror of it (one row per
// image, by its Key) in one transaction; imports are serialised. If the
// store fails, the index is put back as it was, though lookups made
// meanwhile may have seen the new results.
func (s *Service) ImportScanResults(ctx context.Context, name string, data []byte) (ImportSummary, error) {
	rep, err := scanreport.Import(name, data)
	if err != nil {
		return ImportSummary{}, err
	}
	sum := ImportSummary{Format: rep.Format, Images: len(rep.Images), Warnings: make([]string, 0, len(rep.Warnings))}
	for _, w := range rep.Warnings {
		sum.Warnings = append(sum.Warnings, w.String())
	}
	s.scanMu.Lock()
	defer s.scanMu.Unlock()
	x := s.scans.Load()
	ch, err := x.Update(rep.Images...)
	if err != nil {
		// Import checks what Update does; nothing changed.
		return ImportSummary{}, &InvalidError{Err: fmt.Errorf("%s: %w", name, err)}
	}
	removed := make([]string, len(ch.Removed))
	for i, im := range ch.Removed {
		removed[i] = im.Key()
	}
	if err := s.mirror(ctx, removed, ch.Added); err != nil {
		prev, uerr := undo(x, ch)
		if uerr == nil {
			s.scans.Store(prev)
		}
		return ImportSummary{}, errors.Join(fmt.Errorf("store scan results of %s: %w", name, err), uerr)
	}
	sum.Added, sum.Removed = len(ch.Added), len(ch.Removed)
	s.audit(ctx, AuditScanResultsImport, name, fmt.Sprintf("%s report: %d images, %d added, %d removed, %d warnings",
		sum.Format, sum.Images, sum.Added, sum.Removed, len(sum.Warnings)))
	s.broadcast(ctx, topicScans)
	return sum, nil
}

// LookupScanResults finds the scan results of an image as a container runs
// it: the reference as the pod names it, and the digest it runs ("" when
// unknown), matched as scanresult.Index.Lookup does. The Image is shared:
// do not modify it.
func (s *Service) LookupScanResults(imageRef, digest string) (*scanresult.Image, bool) {
	return s.scans.Load().Lookup(imageRef, digest)
}

// LoadScanResults replaces the scan-result index with the store's scan
// images and returns how many images it holds; the console calls it once,
// at start. Stored rows the index merges, or that are not stored under
// their image's key (written by another version), are rewritten, so that
// the store stays the index's mirror.
func (s *Service) LoadScanResults(ctx context.Context) (int, error) {
	s.scanMu.Lock()
	defer s.scanMu.Unlock()
	rows, err := s.store.ListScanImages(ctx)
	if err != nil {
		return 0, fmt.Errorf("load scan results: %w", err)
	}
	images := make([]*scanresult.Image, len(rows))
	rewrite := false
	for i, r := range rows {
		images[i] = &scanresult.Image{}
		if err := json.Unmarshal(r.Body, images[i]); err != nil {
			return 0, fmt.Errorf("load scan results: image %s: %w", r.Key, err)
		}
		rewrite = rewrite || images[i].Key() != r.Key
	}
	x := scanresult.NewIndex()
	ch, err := x.Update(images...)
	if err != nil {
		return 0, fmt.Errorf("load scan results: %w", err)
	}
	if rewrite || len(ch.Added) != len(rows) {
		keys := make(map[string]bool, len(ch.Added))
		for _, im := range ch.Added {
			keys[im.Key()] = true
		}
		var stale []string
		for _, r := range rows {
			if !keys[r.Key] {
				stale = append(stale, r.Key)
			}
		}
		if err := s.mirror(ctx, stale, ch.Added); err != nil {
			return 0, fmt.Errorf("load scan results: rewrite: %w", err)
		}
	}
	s.scans.Store(x)
	return x.Len(), nil
}

// mirror deletes the scan images of the keys removed and writes the images
// added, in one store transaction.
func (s *Service) mirror(ctx context.Context, removed []string, added []*scanresult.Image) error {
	at := s.now().UTC()
	rows := make([]store.ScanImage, len(added))
	for i, im := range added {
		b, err := json.Marshal(im)
		if err != nil {
			return fmt.Errorf("image %s: %w", im.Key(), err)
		}
		rows[i] = store.ScanImage{Key: im.Key(), Body: b, UpdatedAt: at}
	}
	return s.store.ReplaceScanImages(ctx, removed, rows)
}

// undo returns an index holding what x held before the Update that made
// ch: x's images but those added, and those removed.
func undo(x *scanresult.Index, ch scanresult.Changes) (*scanresult.Index, error) {
	added := make(map[*scanresult.Image]bool, len(ch.Added))
	for _, im := range ch.Added {
		added[im] = true
	}
	images := slices.DeleteFunc(x.Images(), func(im *scanresult.Image) bool { return added[im] })
	prev := scanresult.NewIndex()
	if err := prev.Add(append(images, ch.Removed...)...); err != nil {
		return nil, fmt.Errorf("restore the scan-result index: %w", err)
	}
	return prev, nil
}
