package httpapi

import (
	"errors"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// strictJSON refuses what encoding/json lets through: unknown fields, a
// key given twice (where the last would win) and invalid UTF-8 (which would
// be stored as U+FFFD).
var strictJSON = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(true),
	jsontext.AllowDuplicateNames(false), jsontext.AllowInvalidUTF8(false))

// decodeEvents decodes an agent's {"events": [...]} strictly. A refusal is
// a fieldDetail naming the event by its index and the field
// ("events[3].mesage").
func decodeEvents(body []byte) ([]event.Event, *apiError) {
	var req struct {
		Events []event.Event `json:"events"`
	}
	err := jsonv2.Unmarshal(body, &req, strictJSON)
	if err == nil {
		return req.Events, nil
	}
	var ptr jsontext.Pointer
	detail := strings.TrimPrefix(err.Error(), "json: ")
	var serr *jsonv2.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &serr):
		ptr = serr.JSONPointer
		switch {
		case errors.Is(serr.Err, jsonv2.ErrUnknownName):
			detail = "unknown field"
		case serr.Err != nil:
			detail = strings.TrimPrefix(serr.Err.Error(), "json: ")
		}
	case errors.As(err, &syn):
		ptr = syn.JSONPointer
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			detail = "field given twice"
		default:
			detail = strings.TrimPrefix(syn.Err.Error(), "jsontext: ")
		}
	}
	f := fieldPath(ptr)
	msg := "body must be {\"events\": [...]}: " + detail
	if f != "" {
		msg = f + ": " + detail
	}
	return nil, &apiError{Error: msg, Details: []fieldDetail{{Field: f, Detail: detail}}}
}

// fieldPath writes a JSON pointer (/events/3/message) as a field path
// (events[3].message).
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		switch {
		case tok != "" && strings.Trim(tok, "0123456789") == "":
			b.WriteString("[" + tok + "]")
		case b.Len() > 0:
			b.WriteString("." + tok)
		default:
			b.WriteString(tok)
		}
	}
	return b.String()
}
