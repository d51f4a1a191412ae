// Package syscall is Falco's syscall event source as a falco.Source named
// "syscall": the fields libsinsp defines for system call events (evt.*,
// syscall.type, proc.*, thread.*, user.*, group.*, fd.*, fs.path.*,
// fdlist.*) and those the container plugin adds to the same source
// (container.*, k8s.*, proc.is_container_*), as Falco 0.41/0.42 list them
// (libs 0.21/0.22, container plugin 0.4 and later).
//
// The fields are evaluated on *Event values a syscall sensor supplies
// (event.go is the model it fills), reading as libsinsp and the container
// plugin read them, so that Falco's published rules load and fire
// unchanged: proc.cmdline is the process name then its arguments,
// proc.aname[0] the process itself and proc.aname without a level any
// ancestor, container.id "host" outside containers, evt.res SUCCESS or the
// error's name. Rules compile as Falco compiles them: an unknown field, a
// missing or malformed argument and an operator that does not fit the
// field's type are reported.
//
// Fields the event model does not hold (I/O buffers, page faults, memory
// and CPU usage, DNS names, the whole descriptor table, ...) are listed by
// Source.Uncaptured; they read as absent, so a comparison on one is false.
//
// Fields whose Falco declaration takes an argument after a dot instead of
// in brackets (evt.arg.NAME, evt.rawarg.NAME, evt.type.is.TYPE,
// evt.abspath.src, thread.cgroup.SUBSYSTEM, k8s.pod.label.NAME,
// container.label.NAME) are found by Field under their full dotted name;
// see Source.Field.
package syscall
