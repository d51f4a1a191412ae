// Package syscall is the catalog of Falco's syscall event source as a
// falco.Source named "syscall": the fields libsinsp defines for system call
// events (evt.*, syscall.type, proc.*, thread.*, user.*, group.*, fd.*,
// fs.path.*, fdlist.*) and those the container plugin adds to the same
// source (container.*, k8s.*, proc.is_container_*), as Falco 0.41/0.42
// list them (libs 0.21/0.22, container plugin 0.4 and later).
//
// Palisade does not capture system calls: a Falco sensor evaluates these
// rules and Palisade acts on its alerts. The catalog exists so that rules
// compile as Falco compiles them: an unknown field, a missing or malformed
// argument and an operator that does not fit the field's type are reported,
// and every known field's Extractor is nil (compiled, not evaluated here).
//
// Fields whose Falco declaration takes an argument after a dot instead of
// in brackets (evt.arg.NAME, evt.rawarg.NAME, evt.type.is.TYPE,
// evt.abspath.src, thread.cgroup.SUBSYSTEM, k8s.pod.label.NAME,
// container.label.NAME) are found by Field under their full dotted name;
// see Source.Field.
package syscall
