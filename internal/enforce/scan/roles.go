package scan

import (
	"bytes"
	"context"
	"io"
	"os"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// collectRoles is the first of two passes over the input: it gathers the
// Roles and ClusterRoles, so that RBAC bindings are judged with the roles
// they reference wherever those appear. Standard input is read into
// memory for the second pass. Input errors are left to the second pass.
func (s *Scanner) collectRoles(ctx context.Context, paths []string) *rules.RoleIndex {
	idx := rules.NewRoleIndex()
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	for _, p := range paths {
		if ctx.Err() != nil {
			return idx
		}
		if p == "-" {
			data, _ := io.ReadAll(s.opts.Stdin)
			s.opts.Stdin = bytes.NewReader(data)
			s.rolesFrom(bytes.NewReader(data), "-", idx)
			continue
		}
		files, _ := listFiles(p)
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				continue
			}
			s.rolesFrom(fh, f, idx)
			fh.Close()
		}
	}
	return idx
}

// A document holding a role contains "Role" (its kind) or "List" (a
// List of them): the cheap test before a document is converted and
// decoded.
var roleWord, listWord = []byte("Role"), []byte("List")

func (s *Scanner) rolesFrom(r io.Reader, source string, idx *rules.RoleIndex) {
	rd := document.NewReader(r, source)
	for {
		doc, err := rd.Next()
		if err != nil {
			return // io.EOF, or an error the second pass reports
		}
		if !bytes.Contains(doc.Data, roleWord) && !bytes.Contains(doc.Data, listWord) {
			continue
		}
		raw, err := doc.JSON()
		if err != nil {
			continue
		}
		s.addRoles(raw, idx)
	}
}

func (s *Scanner) addRoles(raw []byte, idx *rules.RoleIndex) {
	eachObject(raw, "", func(raw []byte, apiVersion, kind, _ string) {
		if kind != "Role" && kind != "ClusterRole" {
			return
		}
		if obj, err := workload.DecodeKind(raw, apiVersion, kind); err == nil {
			idx.Add(obj, s.opts.Namespace)
		}
	}, func(string, error) {})
}
