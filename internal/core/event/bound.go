package event

import (
	"strconv"
	"unicode/utf8"
)

// An event is bounded when it is made, so that one event never outgrows
// what the managed agent's queue reads in one batch (4 MiB) or what the
// console takes in one request: Message is cut at MaxMessageBytes, every
// other text field at MaxFieldBytes, each with a visible marker
// ("…[truncated N bytes]"). Encoded as JSON (where a byte can take six), a
// bounded event takes at most MaxEncodedBytes.
const (
	MaxMessageBytes = 64 << 10
	MaxFieldBytes   = 4 << 10
	MaxEncodedBytes = 1 << 20
)

// markerRoom is what the marker may take: "…[truncated " (15 bytes), up
// to 20 digits and " bytes]".
const markerRoom = 48

// Bound cuts e's text fields to their bounds, in place.
func (e *Event) Bound() {
	e.Message = truncate(e.Message, MaxMessageBytes)
	for _, f := range []*string{&e.ID, &e.Cluster, &e.Namespace, &e.Kind, &e.Name, &e.Container, &e.Tab,
		&e.Rule, &e.Action, &e.Policy, &e.User, &e.Operation} {
		*f = truncate(*f, MaxFieldBytes)
	}
}

// truncate returns s when it fits in limit bytes, and otherwise its start,
// cut on a character boundary, with a marker saying how much was cut; the
// result fits in limit.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit - markerRoom
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[truncated " + strconv.Itoa(len(s)-cut) + " bytes]"
}
