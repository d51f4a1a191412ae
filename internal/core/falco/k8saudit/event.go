package k8saudit

import (
	"bytes"
	"time"

	"github.com/valyala/fastjson"
)

// The members of an audit Event that are looked up once per event, when it
// is decoded, so that the fields reading them cost an array load.
const (
	topKind = iota
	topAPIVersion
	topLevel
	topAuditID
	topStage
	topRequestURI
	topVerb
	topUser
	topImpersonatedUser
	topSourceIPs
	topUserAgent
	topObjectRef
	topResponseStatus
	topRequestObject
	topResponseObject
	topRequestReceivedTimestamp
	topStageTimestamp
	topAnnotations
	numTop
)

// topIndex returns the index of an Event member, -1 for other keys.
func topIndex(key []byte) int {
	switch string(key) {
	case "kind":
		return topKind
	case "apiVersion":
		return topAPIVersion
	case "level":
		return topLevel
	case "auditID":
		return topAuditID
	case "stage":
		return topStage
	case "requestURI":
		return topRequestURI
	case "verb":
		return topVerb
	case "user":
		return topUser
	case "impersonatedUser":
		return topImpersonatedUser
	case "sourceIPs":
		return topSourceIPs
	case "userAgent":
		return topUserAgent
	case "objectRef":
		return topObjectRef
	case "responseStatus":
		return topResponseStatus
	case "requestObject":
		return topRequestObject
	case "responseObject":
		return topResponseObject
	case "requestReceivedTimestamp":
		return topRequestReceivedTimestamp
	case "stageTimestamp":
		return topStageTimestamp
	case "annotations":
		return topAnnotations
	}
	return -1
}

// The members of objectRef and user looked up at decoding.
const (
	refResource = iota
	refSubresource
	refNamespace
	refName
	refAPIGroup
	refAPIVersion
	numRef
)

const (
	userName = iota
	userGroups
	numUser
)

// Event is one decoded kube-apiserver audit event (audit.k8s.io/v1 Event).
// It is valid only while the [Decoder] callback that received it runs; the
// strings and maps its methods return are copies and outlive it.
type Event struct {
	root *fastjson.Value
	top  [numTop]*fastjson.Value
	ref  [numRef]*fastjson.Value
	user [numUser]*fastjson.Value
	// nanos is stageTimestamp in Unix nanoseconds: Falco's event time.
	nanos int64
	// buf holds the values rendered for this event (numbers, objects,
	// joined commands); it is reused from one event to the next.
	buf    []byte
	indent bytes.Buffer
}

// load points e at the parsed event v and indexes its members.
func (e *Event) load(v *fastjson.Value) {
	e.root = v
	e.top = [numTop]*fastjson.Value{}
	e.ref = [numRef]*fastjson.Value{}
	e.user = [numUser]*fastjson.Value{}
	e.nanos = 0
	e.buf = e.buf[:0]
	e.indent.Reset()
	// As fastjson's Get, the first of duplicate keys wins.
	v.GetObject().Visit(func(k []byte, x *fastjson.Value) {
		if i := topIndex(k); i >= 0 && e.top[i] == nil {
			e.top[i] = x
		}
	})
	e.top[topObjectRef].GetObject().Visit(func(k []byte, x *fastjson.Value) {
		i := -1
		switch string(k) {
		case "resource":
			i = refResource
		case "subresource":
			i = refSubresource
		case "namespace":
			i = refNamespace
		case "name":
			i = refName
		case "apiGroup":
			i = refAPIGroup
		case "apiVersion":
			i = refAPIVersion
		}
		if i >= 0 && e.ref[i] == nil {
			e.ref[i] = x
		}
	})
	e.top[topUser].GetObject().Visit(func(k []byte, x *fastjson.Value) {
		i := -1
		switch string(k) {
		case "username":
			i = userName
		case "groups":
			i = userGroups
		}
		if i >= 0 && e.user[i] == nil {
			e.user[i] = x
		}
	})
}

// str returns v's text when v is a JSON string, "" otherwise.
func str(v *fastjson.Value) string {
	if v == nil || v.Type() != fastjson.TypeString {
		return ""
	}
	b, _ := v.StringBytes()
	return string(b)
}

// strs returns the string elements of the array v.
func strs(v *fastjson.Value) []string {
	if v == nil || v.Type() != fastjson.TypeArray {
		return nil
	}
	var out []string
	for _, x := range v.GetArray() {
		if x.Type() == fastjson.TypeString {
			out = append(out, str(x))
		}
	}
	return out
}

// AuditID is the event's auditID, shared by the events of every stage of
// one request.
func (e *Event) AuditID() string { return str(e.top[topAuditID]) }

// Stage is the request stage the event was emitted at (RequestReceived,
// ResponseStarted, ResponseComplete or Panic).
func (e *Event) Stage() string { return str(e.top[topStage]) }

// Level is the audit level the policy logged the event at (Metadata,
// Request, RequestResponse).
func (e *Event) Level() string { return str(e.top[topLevel]) }

// Verb is the Kubernetes verb (get, list, create, ...), or the lower-case
// HTTP method of a non-resource request.
func (e *Event) Verb() string { return str(e.top[topVerb]) }

// RequestURI is the URI the client sent, query included.
func (e *Event) RequestURI() string { return str(e.top[topRequestURI]) }

// UserAgent is the client's User-Agent.
func (e *Event) UserAgent() string { return str(e.top[topUserAgent]) }

// SourceIPs are the client addresses, the nearest proxy's last.
func (e *Event) SourceIPs() []string { return strs(e.top[topSourceIPs]) }

// UserName is the authenticated user's name ("" when authentication failed).
func (e *Event) UserName() string { return str(e.user[userName]) }

// UserGroups are the authenticated user's groups.
func (e *Event) UserGroups() []string { return strs(e.user[userGroups]) }

// ImpersonatedUserName is the user the request impersonated, "" when none.
func (e *Event) ImpersonatedUserName() string {
	return str(e.top[topImpersonatedUser].Get("username"))
}

// Resource is objectRef.resource: the target's resource (pods, secrets).
func (e *Event) Resource() string { return str(e.ref[refResource]) }

// Subresource is objectRef.subresource (exec, attach, status), "" when none.
func (e *Event) Subresource() string { return str(e.ref[refSubresource]) }

// Namespace is objectRef.namespace, "" for cluster-scoped targets.
func (e *Event) Namespace() string { return str(e.ref[refNamespace]) }

// Name is objectRef.name, "" for lists and for creations whose object has
// only a generateName.
func (e *Event) Name() string { return str(e.ref[refName]) }

// APIGroup is objectRef.apiGroup, "" for the core group.
func (e *Event) APIGroup() string { return str(e.ref[refAPIGroup]) }

// APIVersion is objectRef.apiVersion.
func (e *Event) APIVersion() string { return str(e.ref[refAPIVersion]) }

// ResponseCode is responseStatus.code, 0 when the event has none.
func (e *Event) ResponseCode() int {
	return e.top[topResponseStatus].GetInt("code")
}

// Annotation returns the event annotation key (authorization.k8s.io/decision,
// for one) and whether the event has it.
func (e *Event) Annotation(key string) (string, bool) {
	v := e.top[topAnnotations].Get(key)
	if v == nil || v.Type() != fastjson.TypeString {
		return "", false
	}
	return str(v), true
}

// StageTimestamp is when the event's stage was reached: Falco's event time.
func (e *Event) StageTimestamp() time.Time { return time.Unix(0, e.nanos).UTC() }

// RequestReceivedTimestamp is when kube-apiserver received the request; the
// zero Time when the event lacks it or it does not parse.
func (e *Event) RequestReceivedTimestamp() time.Time {
	v := e.top[topRequestReceivedTimestamp]
	if v == nil || v.Type() != fastjson.TypeString {
		return time.Time{}
	}
	b, _ := v.StringBytes()
	n, ok := parseTimestamp(b)
	if !ok {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Pod names the pod an event on the pods resource (or one of its
// subresources) targets: objectRef's namespace and name, the name falling
// back on the response's then the request's object (a creation from a
// generateName). ok is false for other resources or when no name is known.
func (e *Event) Pod() (namespace, name string, ok bool) {
	if e.Resource() != "pods" {
		return "", "", false
	}
	name = e.Name()
	if name == "" {
		name = str(e.top[topResponseObject].Get("metadata", "name"))
	}
	if name == "" {
		name = str(e.top[topRequestObject].Get("metadata", "name"))
	}
	return e.Namespace(), name, name != ""
}

// Labels returns the labels of the object the request carried
// (requestObject.metadata.labels: a pod being created, say), or failing
// that of the object it returned (responseObject.metadata.labels); nil when
// neither is logged (a Metadata-level event, an exec). Non-string values
// are skipped.
func (e *Event) Labels() map[string]string {
	labels := e.top[topRequestObject].GetObject("metadata", "labels")
	if labels == nil {
		labels = e.top[topResponseObject].GetObject("metadata", "labels")
	}
	if labels == nil {
		return nil
	}
	out := make(map[string]string, labels.Len())
	labels.Visit(func(k []byte, v *fastjson.Value) {
		if v.Type() == fastjson.TypeString {
			out[string(k)] = str(v)
		}
	})
	return out
}

// AppendJSON appends the event as compact JSON to dst (to keep it past the
// callback: decode the copy again to read it).
func (e *Event) AppendJSON(dst []byte) []byte { return e.root.MarshalTo(dst) }

// JSON is the parsed event itself, for reads no method covers. It is valid
// only during the callback, like the Event.
func (e *Event) JSON() *fastjson.Value { return e.root }

// parseTimestamp parses an RFC 3339 time (kube-apiserver writes
// 2024-02-12T19:41:15.851367Z) into Unix nanoseconds without allocating;
// other layouts time.Parse accepts as time.RFC3339Nano are parsed by it.
func parseTimestamp(b []byte) (int64, bool) {
	if n, ok := parseRFC3339(b); ok {
		return n, true
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, false
	}
	return t.UnixNano(), true
}

// parseRFC3339 is the fast path of parseTimestamp:
// YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM).
func parseRFC3339(b []byte) (int64, bool) {
	if len(b) < len("2006-01-02T15:04:05Z") || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			if i <= 9 {
				nsec = nsec*10 + int(rest[i]-'0')
			}
		}
		if i == 1 {
			return 0, false
		}
		for j := i; j <= 9; j++ {
			nsec *= 10
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // 31 February
		return 0, false
	}
	return t.UnixNano() - int64(offset)*int64(time.Second), true
}

// digits parses a run of ASCII digits.
func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
