// Package service holds the console's use cases: policies and rulesets
// (validated exactly as `palisade policy validate` does), clusters with
// their agent tokens (stored hashed), policy assignment, the event trail,
// image scan results (imported reports, held in an in-memory index that
// the store mirrors), and what managed agents call: policy pull with ETag
// and long poll, idempotent event push scoped to the agent's own cluster,
// and scan-result lookups. Agent tokens are rotated with an overlap window
// in which the previous one keeps working. Every change, and every web
// login, is written to the audit log with the Actor (who, from where) its
// context carries; policy and ruleset changes with a diff. Packages
// console/httpapi and console/ui are its REST and web transports.
package service
