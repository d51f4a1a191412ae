package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// Options configure a scan.
type Options struct {
	// Policy is the compiled policy whose deployment tab is evaluated.
	Policy *engine.Compiled
	// Namespace is used for objects that carry none ("default").
	Namespace string
	// Workers evaluate in parallel; 0 means one per CPU.
	Workers int
	// Stdin is read for the path "-".
	Stdin io.Reader
	// FieldLines resolves the line of every violation's field (SARIF
	// regions); it costs a second parse of documents with violations.
	FieldLines bool
	// ScanResults is what the scan-result rules read (nil: no image has
	// been scanned).
	ScanResults rules.ScanResults
	// Roles reads the input twice: first its Roles and ClusterRoles, so
	// that the RBAC rules judge a binding with the role it references
	// wherever that role appears in the input.
	Roles bool
	// Inventory, when not zero, makes the same first pass gather the
	// objects of these kinds, which the referential rules compare each
	// object with (uniqueIngressHosts, uniqueServiceSelectors,
	// podDisruptionBudget): every file of the run, whichever file an
	// object is in.
	Inventory rules.InventoryKinds
	// Signatures verifies image signatures for imagesNotSigned (nil: no
	// registry access; every image is then unverified).
	Signatures rules.Signatures
}

// Scanner runs a scan over paths and feeds a Writer in input order.
type Scanner struct {
	opts      Options
	roles     *rules.RoleIndex
	inventory *rules.InventoryIndex
}

// New returns a scanner.
func New(opts Options) *Scanner {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	return &Scanner{opts: opts}
}

// job is one document travelling through the pipeline; done is closed
// when its results are ready.
type job struct {
	doc     document.Doc
	err     *InputError
	results []*Result
	errs    []*InputError
	done    chan struct{}
}

// Run reads every path (files, folders recursively, "-" for stdin), and
// writes results in input order. It returns the summary; the error is
// set only when the writer fails or ctx ends — unreadable input is
// reported through the writer and counted in Summary.Errors.
func (s *Scanner) Run(ctx context.Context, paths []string, w Writer) (Summary, error) {
	var sum Summary
	if err := w.Begin(); err != nil {
		return sum, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.opts.Roles || s.opts.Inventory != 0 {
		s.collect(ctx, paths)
	}

	work := make(chan *job, s.opts.Workers*4)
	ordered := make(chan *job, s.opts.Workers*16)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				s.evaluate(j)
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(ordered)
		defer close(work)
		s.produce(ctx, paths, func(j *job) bool {
			j.done = make(chan struct{})
			if j.err != nil {
				close(j.done)
			} else {
				select {
				case work <- j:
				case <-ctx.Done():
					return false
				}
			}
			select {
			case ordered <- j:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()

	var werr error
	for j := range ordered {
		<-j.done
		if werr != nil {
			continue
		}
		werr = s.emit(j, w, &sum)
		if werr != nil {
			cancel()
		}
	}
	wg.Wait()
	if werr != nil {
		return sum, werr
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	return sum, w.End(sum)
}

func (s *Scanner) emit(j *job, w Writer, sum *Summary) error {
	errs := j.errs
	if j.err != nil {
		errs = append([]*InputError{j.err}, errs...)
	}
	for _, e := range errs {
		sum.Errors++
		if err := w.Error(e); err != nil {
			return err
		}
	}
	for _, r := range j.results {
		sum.count(r)
		if err := w.Result(r); err != nil {
			return err
		}
	}
	return nil
}

// produce walks the inputs and hands every document to send, in order.
func (s *Scanner) produce(ctx context.Context, paths []string, send func(*job) bool) {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	for _, p := range paths {
		if ctx.Err() != nil {
			return
		}
		if p == "-" {
			if !s.readStream(s.opts.Stdin, "-", send) {
				return
			}
			continue
		}
		files, errs := listFiles(p)
		for _, err := range errs {
			if !send(&job{err: &InputError{Source: p, Message: err.Error()}}) {
				return
			}
		}
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				if !send(&job{err: &InputError{Source: f, Message: err.Error()}}) {
					return
				}
				continue
			}
			ok := s.readStream(fh, f, send)
			fh.Close()
			if !ok {
				return
			}
		}
	}
}

func (s *Scanner) readStream(r io.Reader, source string, send func(*job) bool) bool {
	rd := document.NewReader(r, source)
	for {
		doc, err := rd.Next()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return send(&job{err: inputError(source, err)})
		}
		if !send(&job{doc: doc}) {
			return false
		}
	}
}

func inputError(source string, err error) *InputError {
	var de *document.Error
	if errors.As(err, &de) {
		return &InputError{Source: de.Source, Line: de.Line, Message: de.Err.Error()}
	}
	return &InputError{Source: source, Message: err.Error()}
}

// manifestExt are the file endings a folder walk picks up.
var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// listFiles expands a path: a file is itself; a folder is every manifest
// below it, sorted, skipping hidden folders. An unreadable entry is
// reported and skipped; the rest of the folder is still listed.
func listFiles(p string) ([]string, []error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, []error{err}
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	var files []string
	var errs []error
	_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && manifestExt[strings.ToLower(filepath.Ext(path))] {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files, errs
}

// evaluate decodes one document (expanding Lists) and evaluates it.
func (s *Scanner) evaluate(j *job) {
	raw, err := j.doc.JSON()
	if err != nil {
		j.errs = append(j.errs, inputError(j.doc.Source, err))
		return
	}
	s.evaluateRaw(j, raw, "")
}

func (s *Scanner) evaluateRaw(j *job, raw []byte, itemPath string) {
	eachObject(raw, itemPath, func(raw []byte, apiVersion, kind, itemPath string) {
		s.evaluateObject(j, raw, apiVersion, kind, itemPath)
	}, func(itemPath string, err error) {
		j.errs = append(j.errs, s.locErr(j, itemPath, err))
	})
}

// eachObject calls visit with every object of a document: the document
// itself, or the items of a JSON array or a List, recursively, each with
// its path in the document ("items[2]", "[0]"). What is not an object is
// passed to fail with its path.
func eachObject(raw []byte, itemPath string, visit func(raw []byte, apiVersion, kind, itemPath string), fail func(itemPath string, err error)) {
	trimmed := strings.TrimSpace(string(raw[:min(len(raw), 1)]))
	if trimmed == "[" {
		items, err := workload.JSONArray(raw)
		if err != nil {
			fail(itemPath, err)
			return
		}
		for i, it := range items {
			eachObject(it, fmt.Sprintf("%s[%d]", itemPath, i), visit, fail)
		}
		return
	}
	apiVersion, kind, err := workload.Head(raw)
	if err != nil {
		fail(itemPath, fmt.Errorf("not a Kubernetes object: %w", err))
		return
	}
	if workload.IsList(kind) {
		items, err := workload.ListItems(raw)
		if err != nil {
			fail(itemPath, fmt.Errorf("%s: items must be a list of objects", kind))
			return
		}
		for i, it := range items {
			eachObject(it, fmt.Sprintf("%sitems[%d]", dot(itemPath), i), visit, fail)
		}
		if items != nil || kind == "List" {
			return
		}
		// A custom kind that merely ends in "List" and has no items is
		// judged as itself.
	}
	visit(raw, apiVersion, kind, itemPath)
}

// evaluateObject decodes one object and evaluates it.
func (s *Scanner) evaluateObject(j *job, raw []byte, apiVersion, kind, itemPath string) {
	obj, err := workload.DecodeKind(raw, apiVersion, kind)
	if err != nil {
		j.errs = append(j.errs, s.locErr(j, itemPath, err))
		return
	}
	// An object whose apiVersion Palisade does not read is evaluated too:
	// the engine runs only the rules that judge any apiVersion on it, and
	// the report says it was not evaluated by the others.
	res := s.opts.Policy.Evaluate(obj, policy.TabDeployment, engine.Options{DefaultNamespace: s.opts.Namespace, ScanResults: s.opts.ScanResults, Roles: s.roleLookup(),
		Inventory: s.inventoryLookup(), Signatures: s.opts.Signatures})
	r := NewResult(j.doc.Source, obj, &res)
	r.Line = cmp.Or(j.doc.LineOf(itemPath), j.doc.Line)
	if s.opts.FieldLines {
		for i := range r.Violations {
			r.Violations[i].Line = j.doc.LineOf(dot(itemPath) + res.Findings[i].Field)
		}
	}
	j.results = append(j.results, r)
}

func (s *Scanner) locErr(j *job, itemPath string, err error) *InputError {
	return &InputError{Source: j.doc.Source, Line: j.doc.LineOf(itemPath), Message: err.Error()}
}

func dot(p string) string {
	if p == "" {
		return ""
	}
	return p + "."
}

// roleLookup is the roles found by the first pass; nil without one.
func (s *Scanner) roleLookup() rules.RBACRoles {
	if s.roles == nil {
		return nil
	}
	return s.roles
}

// inventoryLookup is the inventory found by the first pass; nil without
// one.
func (s *Scanner) inventoryLookup() rules.Inventory {
	if s.inventory == nil {
		return nil
	}
	return s.inventory
}
