// Package strictjson is the one JSON decoder of the inputs Palisade refuses
// rather than guesses at: an AdmissionReview (a name given twice), an
// agent's events (unknown fields, names given twice, invalid UTF-8) and
// scanners' reports. A Decoder says what it refuses; every failure is an
// *Error that names the field it concerns ("events[3].message") and says
// what was wrong in the words of the input's author ("unknown field",
// "field given twice", "must be a number, not a string").
package strictjson
