// Package importer converts other products' policy-as-code resources into
// Palisade documents. TrendMicro reads Trend Micro Cloud One / Vision One
// Container Security ClusterPolicy and RuntimeRuleset resources, validates
// them the way their CRDs do (every problem at once, with file, line and
// field path) and maps them onto a Palisade Policy and RuntimeRulesets,
// warning about whatever cannot be carried over exactly.
//
// The package is pure: it reads bytes and returns documents. It does not
// consult the rule catalog; validating the result is the caller's job
// (policy.Validate with the catalog).
package importer
