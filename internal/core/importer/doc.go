// Package importer converts other products' policy-as-code resources into
// Palisade documents. Import reads Gatekeeper constraints of the Gatekeeper
// library's templates (by kind and parameters) and Kyverno ClusterPolicies
// and Policies of the pod-security and best-practices sets (by name),
// mixed in any number of files, and maps each onto Palisade rules with
// their properties, action, namespaces and excluded images; whatever has
// no exact equivalent (an unknown template or policy, a parameter, a match
// clause) is a located warning, never dropped silently. docs/migrating.md
// has the whole mapping. Import hands Trend Micro documents to TrendMicro.
//
// TrendMicro reads Trend Micro Cloud One / Vision One
// Container Security ClusterPolicy and RuntimeRuleset resources, validates
// them the way their CRDs do (every problem at once, with file, line and
// field path) and maps them onto a Palisade Policy and RuntimeRulesets,
// warning about whatever cannot be carried over exactly.
//
// The mapping, in short:
//   - A ClusterPolicy rule becomes a deployment rule (its action) and, for
//     the types Palisade also checks on running pods, a continuous rule (its
//     mitigation); the rule ID and properties are the Trend Micro type and
//     properties unchanged.
//   - Rules naming namespaces add to the cluster-wide rules there, while a
//     Palisade namespace definition replaces the cluster-wide one: each such
//     namespace gets the cluster-wide rules, those of a type it names
//     replaced by its own, and namespaces that end up alike share one
//     definition ("tm-<first namespace>").
//   - Exceptions keep their namespaces and apply to both tabs.
//   - A RuntimeRuleset is split by mitigation into rulesets whose falcoAlerts
//     are the Trend Micro rule IDs, each bound with its mitigation as action
//     to the pods its labels select, in every definition.
//
// The package is pure: it reads bytes and returns documents. It does not
// consult the rule catalog; validating the result is the caller's job
// (policy.Validate with the catalog).
package importer
