// Package clientcert authenticates the callers of an HTTPS server by their
// client certificates, each endpoint trusting its own CA bundle: the TLS
// handshake, which happens before the path is known, verifies a presented
// certificate against every bundle at once, and each endpoint then accepts
// only a chain that goes through one of its own CAs.
package clientcert
