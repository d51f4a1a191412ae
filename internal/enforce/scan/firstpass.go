package scan

import (
	"bytes"
	"context"
	"io"
	"os"
	"sync"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// collect is the first of two passes over the input, run when a rule reads
// other objects: it gathers the Roles and ClusterRoles (opts.Roles), so
// that RBAC bindings are judged with the roles they reference wherever
// those appear, and the objects of the inventory (opts.Inventory), so that
// the referential rules compare each object with every other of the run.
// Standard input is read into memory for the second pass. Input errors are
// left to the second pass.
func (s *Scanner) collect(ctx context.Context, paths []string) {
	if s.opts.Roles {
		s.roles = rules.NewRoleIndex()
	}
	if s.opts.Inventory != 0 {
		s.inventory = rules.NewInventoryIndex()
	}
	words := firstPassWords(s.opts.Roles, s.opts.Inventory)
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	// Documents are split out of their files in order, and converted and
	// decoded on every core, as in the second pass: the indexes are safe
	// for concurrent use, and what they hold does not depend on the order.
	docs := make(chan document.Doc, s.opts.Workers*4)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(func() {
			for doc := range docs {
				if raw, err := doc.JSON(); err == nil {
					s.collectObjects(raw)
				}
			}
		})
	}
	defer wg.Wait()
	defer close(docs)
	for _, p := range paths {
		if ctx.Err() != nil {
			return
		}
		if p == "-" {
			data, _ := io.ReadAll(s.opts.Stdin)
			s.opts.Stdin = bytes.NewReader(data)
			collectFrom(bytes.NewReader(data), "-", words, docs)
			continue
		}
		files, _ := listFiles(p)
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				continue
			}
			collectFrom(fh, f, words, docs)
			fh.Close()
		}
	}
}

// firstPassWords are the words a document must contain to hold an object
// the first pass gathers (its kind, or "List" for a List of them): the
// cheap test before a document is converted and decoded.
func firstPassWords(roles bool, inv rules.InventoryKinds) [][]byte {
	words := [][]byte{[]byte("List")}
	add := func(ws ...string) {
		for _, w := range ws {
			words = append(words, []byte(w))
		}
	}
	if roles {
		add("Role")
	}
	if inv&rules.InventoryIngresses != 0 {
		add("Ingress")
	}
	if inv&rules.InventoryServices != 0 {
		add("Service")
	}
	if inv&rules.InventoryPodDisruptionBudgets != 0 {
		add("PodDisruptionBudget")
	}
	if inv&rules.InventoryWorkloads != 0 {
		add("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")
	}
	return words
}

// collectFrom sends the documents of r that may hold an object the first
// pass gathers.
func collectFrom(r io.Reader, source string, words [][]byte, docs chan<- document.Doc) {
	rd := document.NewReader(r, source)
	for {
		doc, err := rd.Next()
		if err != nil {
			return // io.EOF, or an error the second pass reports
		}
		if containsAny(doc.Data, words) {
			docs <- doc
		}
	}
}

func containsAny(data []byte, words [][]byte) bool {
	for _, w := range words {
		if bytes.Contains(data, w) {
			return true
		}
	}
	return false
}

func (s *Scanner) collectObjects(raw []byte) {
	eachObject(raw, "", func(raw []byte, apiVersion, kind, _ string) {
		if !s.collects(kind) {
			return
		}
		if s.inventory != nil {
			// A replicated workload: only its metadata, replicas and
			// template labels are read (nil for any other kind, and for
			// one without a template, which the whole decode below skips).
			r, err := workload.DecodeReplicated(raw, apiVersion, kind)
			if err != nil {
				return // the second pass reports it
			}
			if r != nil {
				if w, ok := rules.WorkloadOfReplicated(r, kind, s.opts.Namespace); ok {
					s.inventory.AddWorkload(w)
				}
				return
			}
		}
		obj, err := workload.DecodeKind(raw, apiVersion, kind)
		if err != nil || obj.Unknown != "" {
			return
		}
		if s.roles != nil && s.roles.Add(obj, s.opts.Namespace) {
			return
		}
		if s.inventory != nil {
			s.inventory.Add(obj, s.opts.Namespace)
		}
	}, func(string, error) {})
}

// collects reports whether the first pass gathers objects of kind.
func (s *Scanner) collects(kind string) bool {
	inv := s.opts.Inventory
	switch kind {
	case "Role", "ClusterRole":
		return s.opts.Roles
	case "Ingress":
		return inv&rules.InventoryIngresses != 0
	case "Service":
		return inv&rules.InventoryServices != 0
	case "PodDisruptionBudget":
		return inv&rules.InventoryPodDisruptionBudgets != 0
	case "Deployment", "StatefulSet", "ReplicaSet", "ReplicationController":
		return inv&rules.InventoryWorkloads != 0
	}
	return false
}
