// Package redact hides the secrets a URL can carry (a password in its
// userinfo) before the URL is logged or put in an error.
package redact
