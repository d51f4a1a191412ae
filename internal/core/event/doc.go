// Package event is the event trail's vocabulary: one Event per decision
// (SPEC §5 fields), the Sink interface every producer writes to, and a
// JSON-lines file sink for standalone agents.
package event
