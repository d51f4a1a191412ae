// Package fileperm tells whether a file holding a secret (a token) or a
// directory holding state can be read by other users of the machine, so
// that the process can warn about it at start.
package fileperm
