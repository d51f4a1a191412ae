// Package policy is Palisade's vocabulary: the Policy and RuntimeRuleset
// documents, their parsing from YAML or JSON with line numbers, complete
// validation with Kubernetes-style field paths, namespace resolution and the
// built-in presets.
package policy
