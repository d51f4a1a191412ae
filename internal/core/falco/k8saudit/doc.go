// Package k8saudit is the k8s_audit event source of Palisade's Falco-syntax
// rule engine: it decodes the audit events kube-apiserver emits
// (audit.k8s.io/v1 Event objects, one per line in an audit log file, or an
// EventList posted by the audit webhook backend) and reads on them the fields
// Falco's Kubernetes audit rules use.
//
// The fields are those of Falco's k8saudit plugin 0.18 (ka.*) and of the json
// plugin 0.7 that Falco loads beside it (json.value, json.obj, json.rawtime
// and their jevt.* aliases), so the plugin's own rules file,
// k8s_audit_rules.yaml, loads and fires unchanged. Values read as the plugins
// read them: every field is a string; a JSON string reads as its text, any
// other JSON value as its compact JSON text (true, 403, {"k":"v"}); a field
// the event lacks has no value. [New] lists the few places where this package
// reads what a field's description promises rather than what the plugin's
// code happens to return.
//
// Decoding uses github.com/valyala/fastjson. An [Event] and every value read
// from it alias the [Decoder]'s memory: they are valid until the decoder's
// next event, and an Event must not be read from two goroutines at once.
package k8saudit
