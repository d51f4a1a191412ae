package importer

import (
	"bytes"
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/image"
)

// fields reads an upstream object (Gatekeeper parameters, a match clause,
// a Kyverno spec) field by field, so that every field left unread can be
// reported as not carried over.
type fields struct {
	d    *docCtx
	path *field.Path
	raw  map[string]json.RawMessage
	read map[string]bool
}

func newFields(d *docCtx, raw json.RawMessage, path *field.Path) *fields {
	f := &fields{d: d, path: path, read: map[string]bool{}}
	if t := bytes.TrimSpace(raw); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
		if t[0] != '{' {
			d.errs = append(d.errs, field.Invalid(path, jsonKind(t), "must be an object"))
		} else if err := json.Unmarshal(t, &f.raw); err != nil {
			d.errs = append(d.errs, field.Invalid(path, "", err.Error()))
		}
	}
	return f
}

// get decodes field name into a T; ok is false when it is absent, null or
// of the wrong type (an error then).
func get[T any](f *fields, name string) (v T, ok bool) {
	raw, present := f.raw[name]
	if !present {
		return v, false
	}
	f.read[name] = true
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return v, false
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		f.d.errs = append(f.d.errs, typeError(f.path.Child(name), err))
		return v, false
	}
	return v, true
}

// child returns the fields of an object-valued field.
func (f *fields) child(name string) *fields {
	f.read[name] = true
	return newFields(f.d, f.raw[name], f.path.Child(name))
}

// has reports whether the field is present.
func (f *fields) has(name string) bool {
	_, ok := f.raw[name]
	return ok
}

// ignore marks fields as read without a word: they configure the upstream
// product's machinery, not what it checks.
func (f *fields) ignore(names ...string) {
	for _, n := range names {
		f.read[n] = true
	}
}

// drop reports a present field as not carried over, with the reason.
func (f *fields) drop(name, reason string) {
	if _, ok := f.raw[name]; !ok {
		return
	}
	f.read[name] = true
	f.d.warn(f.path.Child(name).String(), "not carried over: %s", reason)
}

// rest reports every field left unread, with what follows.
func (f *fields) rest(what string) {
	var names []string
	for n := range f.raw {
		if !f.read[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		f.read[n] = true
		f.d.warn(f.path.Child(n).String(), "not carried over: %s", what)
	}
}

// exemptImages reads Gatekeeper's exemptImages (exact images, or prefixes
// ending in "*") as Palisade excludedImages, which mean the same but
// compare normalised references.
func exemptImages(f *fields, name string) []string {
	list, _ := get[[]string](f, name)
	var out []string
	for i, img := range list {
		if _, err := image.NewPattern(img); err != nil {
			f.d.warn(f.path.Child(name).Index(i).String(), "not carried over: %v", err)
			continue
		}
		out = append(out, img)
	}
	return out
}

// prefixRegex is an RE2 expression matching normalised references that
// start with one of the prefixes, written as upstream products compare raw
// image strings ("nginx", "myregistry.io/team/").
func prefixRegex(prefixes []string) string {
	alts := make([]string, len(prefixes))
	for i, p := range prefixes {
		alts[i] = regexp.QuoteMeta(image.NormalisePrefix(p))
	}
	return "^(" + strings.Join(alts, "|") + ")"
}

// globRegex turns a Kyverno wildcard ("*" any run, "?" one character)
// into an anchored RE2 expression.
func globRegex(glob string) string {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return b.String()
}
