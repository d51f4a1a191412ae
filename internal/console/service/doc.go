// Package service holds the console's use cases: policies and rulesets
// (validated exactly as `palisade policy validate` does), clusters with
// their agent tokens (stored hashed), policy assignment, the event trail,
// image scan results (imported reports, held in an in-memory index that
// the store mirrors), and what managed agents call: policy pull with ETag
// and long poll, idempotent event push scoped to the agent's own cluster,
// and scan-result lookups. Package console/httpapi is its REST and UI
// transport.
package service
