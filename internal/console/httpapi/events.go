package httpapi

import (
	"errors"

	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/platform/strictjson"
)

// eventsJSON refuses what encoding/json lets through: unknown fields, a
// key given twice (where the last would win) and invalid UTF-8 (which would
// be stored as U+FFFD).
var eventsJSON = strictjson.New(strictjson.Duplicates | strictjson.UnknownFields | strictjson.InvalidUTF8)

// decodeEvents decodes an agent's {"events": [...]} strictly. A refusal is
// a fieldDetail naming the event by its index and the field
// ("events[3].mesage").
func decodeEvents(body []byte) ([]event.Event, *apiError) {
	var req struct {
		Events []event.Event `json:"events"`
	}
	err := eventsJSON.Unmarshal(body, &req)
	if err == nil {
		return req.Events, nil
	}
	var serr *strictjson.Error
	if !errors.As(err, &serr) {
		return nil, &apiError{Error: "body must be {\"events\": [...]}: " + err.Error()}
	}
	f := serr.Field()
	msg := "body must be {\"events\": [...]}: " + serr.Detail
	if f != "" {
		msg = serr.Error()
	}
	return nil, &apiError{Error: msg, Details: []fieldDetail{{Field: f, Detail: serr.Detail}}}
}
