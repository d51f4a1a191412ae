// Package admission turns an AdmissionRequest into a decision with the one
// engine: deny with the seed's message when a block rule is violated, allow
// with warnings for log rules, and record every decision as an event. It
// knows nothing of HTTP; package webhook is its transport.
package admission
