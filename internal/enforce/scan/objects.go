package scan

// EachObject calls visit with every object of a document converted to
// JSON, as the scanner reads them: the document itself, or the items of a
// JSON array or a List, recursively, each with its path in the document
// ("items[2]", "[0]"). What is not an object is passed to fail with its
// path. `palisade test` reads its resources with it.
func EachObject(raw []byte, visit func(raw []byte, apiVersion, kind, itemPath string), fail func(itemPath string, err error)) {
	eachObject(raw, "", visit, fail)
}
