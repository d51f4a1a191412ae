// Package policytest runs declarative policy tests, as `kyverno test` and
// `gator verify` do for their engines: a Test document (palisade.dev/v1,
// kind Test, usually in a file named palisade-test.yaml) names policies,
// manifests and the result each rule should have on each object; Run
// evaluates them with the one engine (internal/core/engine, as `palisade scan`
// does) and compares. Writers print the cases as a table, JSON or JUnit
// XML. A test that cannot be run as written (a bad field, a rule or a
// resource the evaluation does not have) is an error with its file and
// line, never a passing case.
package policytest
