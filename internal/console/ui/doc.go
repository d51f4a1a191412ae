// Package ui is the console's server-rendered web UI: policies (the
// three-tab editor with namespace definitions), clusters (registration,
// assignment, agent token rotation, agent sync state), the event trail and,
// for admins, the audit log. Pages are html/template
// with plain forms; a small embedded script only enhances them (tabs, copy
// buttons). Users log in with the console's admin or viewer token, or
// through single sign-on with an OpenID Connect provider whose groups map
// to those roles (oidc.go; the protocol is package sso), and get a session
// kept in the console's store with a CSRF token; every change goes through
// the same console.Service methods the REST API uses, with the session's
// role and the browser's address as its audit actor ("ui:admin"). Logins,
// failed ones included, are audited too.
package ui
