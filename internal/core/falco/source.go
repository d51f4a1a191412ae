package falco

// FieldType is the type of the values a field extracts; it decides which
// operators a condition may apply to the field and how values compare.
type FieldType uint8

// The field types. Int covers Falco's signed and unsigned integers,
// relative and absolute times, ports and descriptors; Bool compares with
// true and false; IP and Net are addresses (=, != and in compare them with
// addresses) and addresses matched against networks (with CIDR operands,
// 10.0.0.0/8).
const (
	String FieldType = iota
	Int
	Bool
	IP
	Net
	Bytes
)

// ArgMode says whether a field takes an argument in brackets
// (ka.uri.param[pretty], jevt.value[/requestObject/spec],
// ka.req.pod.containers.image[0]).
type ArgMode uint8

// The argument modes.
const (
	ArgNone ArgMode = iota
	ArgOptional
	ArgRequired
)

// Field describes one field a source defines.
type Field struct {
	Name string
	Type FieldType
	// List fields extract several values at once (Falco's EPF_IS_LIST):
	// "in" then asks that every value be in the set, "intersects" that
	// one be.
	List bool
	Arg  ArgMode
	// Index means the argument is a position in the list (a list field
	// read with an index yields one value).
	Index bool
	Desc  string
}

// Value is one extracted value: B for String, Bytes, IP and Net fields (an
// address as its 4 or 16 bytes); N for Int and Bool (0 or 1) fields. B may alias the event's memory: it is
// valid until the next event.
type Value struct {
	B []byte
	N int64
}

// Event is one event of a source, of the source's own type.
type Event any

// Extractor reads one field of an event. It appends the field's values to
// dst and returns it; nothing appended means the field is absent, and
// every comparison on it is false (exists is false), as in Falco.
type Extractor func(e Event, dst []Value) []Value

// Source is a Falco event source: its name (the rules' source: key), the
// fields it defines and how to read them.
type Source interface {
	Name() string
	// Field looks a field up by name (without its argument).
	Field(name string) (Field, bool)
	// Extractor returns the function reading f with its argument arg (""
	// when none). A nil Extractor with a nil error means the source's
	// events are not evaluated here: its rules compile and are kept with
	// Evaluated false. The error says what is wrong with arg.
	Extractor(f Field, arg string) (Extractor, error)
}

// EventTyper is implemented by a source whose events have a type that
// evt.type reads and that Falco indexes rules by (the syscall source).
// EventTypes returns every name evt.type may be compared with: a condition
// naming another is refused ("unknown event type"), and each rule's
// conditions are analysed for the types they can match (Rule.EventTypes).
type EventTyper interface {
	EventTypes() []string
}
