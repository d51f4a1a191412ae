// Package agent wires the in-cluster enforcement point: the policy file
// (watched and swapped atomically), the admission reviewer, the HTTPS
// webhook server and the event sink.
package agent
