// Package httpapi is the console's REST transport (SPEC §5): JSON (YAML
// accepted for documents), bearer tokens with three roles (admin, viewer,
// agent scoped to its own cluster), 422 with every field error, cursor
// paging for events and the audit log (admin only), agent token rotation,
// scan-report import and scan-result lookups, and the agents' long-polled
// policy endpoint. Each request the token admits carries its service.Actor
// (the token's role, the client address) for the audit log.
package httpapi
