package syscall

// catalog returns every field of the syscall source, grouped as Falco's
// field classes are. Descriptions are short: Falco's supported-fields
// reference has the long form.
//
// Left out on purpose: fields Falco hides from its field listing because
// they only serve sysdig's tables or printing (evt.buflen.in and the other
// evt.buflen.*, evt.count.procinfo, evt.count.threadinfo,
// evt.latency.quantized, evt.infra.docker.*, evt.outputtime,
// thread.nametid, thread.vmsize.b, thread.vmrss.b, util.cnt); the syslog.*
// class, which libs 0.21 dropped; the k8smeta plugin's k8smeta.* fields,
// a plugin Falco does not load by default. evt.dir, deprecated since the
// drivers stopped sending enter events, is kept: rules still use it.
func catalog() []spec {
	var all []spec
	for _, class := range [][]spec{
		evtFields, syscallEvtFields, procFields, threadFields,
		userFields, groupFields, fdFields, fsPathFields, fdlistFields,
		containerFields, k8sFields,
	} {
		all = append(all, class...)
	}
	return all
}

// evtFields apply to every event, whatever its source.
var evtFields = []spec{
	num("evt.num", "sequence number of the event"),
	str("evt.time", "event time of day with nanoseconds"),
	str("evt.time.s", "event time of day without nanoseconds"),
	str("evt.time.iso8601", "event time in ISO 8601, UTC, with nanoseconds"),
	str("evt.datetime", "event date and time with nanoseconds"),
	str("evt.datetime.s", "event date and time without nanoseconds"),
	num("evt.rawtime", "event time in nanoseconds since the epoch"),
	num("evt.rawtime.s", "whole seconds of evt.rawtime"),
	num("evt.rawtime.ns", "nanoseconds part of evt.rawtime"),
	num("evt.reltime", "nanoseconds since the capture started"),
	num("evt.reltime.s", "whole seconds since the capture started"),
	num("evt.reltime.ns", "nanoseconds part of evt.reltime"),
	str("evt.pluginname", "for a plugin event, the plugin that produced it"),
	str("evt.plugininfo", "for a plugin event, the plugin's summary of it"),
	str("evt.source", "name of the event's source"),
	flag("evt.is_async", "true for asynchronous (metadata) events"),
	str("evt.asynctype", "type of an asynchronous event, such as container"),
	str("evt.hostname", "host name of the machine (FALCO_HOSTNAME can set it)"),
}

// syscallEvtFields apply to system call events.
var syscallEvtFields = []spec{
	num("evt.latency", "nanoseconds between a syscall's enter and exit events"),
	num("evt.latency.s", "whole seconds of evt.latency"),
	num("evt.latency.ns", "nanoseconds part of evt.latency"),
	str("evt.latency.human", "evt.latency as readable text (10.3ms)"),
	num("evt.deltatime", "nanoseconds since the previous event"),
	num("evt.deltatime.s", "whole seconds of evt.deltatime"),
	num("evt.deltatime.ns", "nanoseconds part of evt.deltatime"),
	str("evt.dir", "deprecated: > for an enter event, < for an exit event"),
	str("evt.type", "event name, such as open or execve"),
	num("evt.type.is", "1 if the event is of the type named after the dot (evt.type.is.open), else 0").
		required(argEventType).dot(),
	str("syscall.type", "name of the system call; absent for events that are not syscalls"),
	str("evt.category", "event category: file, net, memory, process, ..."),
	num("evt.cpu", "CPU the event happened on"),
	str("evt.args", "all the event's arguments as one string"),
	str("evt.arg", "one argument as text, by name (evt.arg.fd) or position (evt.arg[0])").
		required(argEvtArg).dot(),
	str("evt.rawarg", "one argument, unformatted and of its own type, by name (evt.rawarg.res)").
		required(argParamName).dot(),
	str("evt.info", "the arguments, or for some events a decoded summary"),
	buf("evt.buffer", "the data buffer of I/O events (read, recvfrom, ...)"),
	num("evt.buflen", "length of evt.buffer"),
	str("evt.res", "return value as text: SUCCESS or an error code like ENOENT"),
	num("evt.rawres", "return value as a number"),
	flag("evt.failed", "true for events that returned an error"),
	flag("evt.is_io", "true for events that read or write a descriptor"),
	flag("evt.is_io_read", "true for events that read a descriptor"),
	flag("evt.is_io_write", "true for events that write a descriptor"),
	str("evt.io_dir", "r for reads, w for writes"),
	flag("evt.is_wait", "true for events that make the thread wait (sleep, poll, ...)"),
	num("evt.wait_latency", "nanoseconds spent waiting, for waiting events"),
	flag("evt.is_syslog", "true for writes to /dev/log"),
	num("evt.count", "always 1, for counting events"),
	num("evt.count.error", "1 for events that failed"),
	num("evt.count.error.file", "1 for failed file events"),
	num("evt.count.error.net", "1 for failed network events"),
	num("evt.count.error.memory", "1 for failed memory events"),
	num("evt.count.error.other", "1 for failed events of other categories"),
	num("evt.count.exit", "1 for exit events"),
	num("evt.around", "filter only: matches events within D ms of time T, written evt.around[T]=D").
		required(argTimestamp),
	str("evt.abspath", "absolute path from a dirfd and a relative path (renameat, symlinkat, ...); .src or .dst picks one of two").
		optional(argPathSide).dot(),
	flag("evt.is_open_read", "true for opens of a path for reading"),
	flag("evt.is_open_write", "true for opens of a path for writing"),
	flag("evt.is_open_exec", "true for opens or creat that create an executable file"),
	flag("evt.is_open_create", "true for opens that create a file"),
}

// userFields describe the user running the thread.
var userFields = []spec{
	num("user.uid", "user id"),
	str("user.name", "user name"),
	str("user.homedir", "the user's home directory"),
	str("user.shell", "the user's login shell"),
	num("user.loginuid", "audit user id (auid); -1 when unset"),
	str("user.loginname", "audit user name"),
}

// groupFields describe the group running the thread.
var groupFields = []spec{
	num("group.gid", "group id"),
	str("group.name", "group name"),
}

// fsPathFields are the paths of syscalls that act on paths rather than
// descriptors (unlink, rename, mkdir, ...).
var fsPathFields = []spec{
	str("fs.path.name", "path the syscall acts on, resolved against the cwd"),
	str("fs.path.nameraw", "path the syscall acts on, as passed"),
	str("fs.path.source", "source path of two-path syscalls (rename, link), resolved"),
	str("fs.path.sourceraw", "source path of two-path syscalls, as passed"),
	str("fs.path.target", "target path of two-path syscalls, resolved"),
	str("fs.path.targetraw", "target path of two-path syscalls, as passed"),
}

// fdlistFields describe the descriptors of poll events, each a
// comma-separated string.
var fdlistFields = []spec{
	str("fdlist.nums", "descriptor numbers of a poll's fds argument"),
	str("fdlist.names", "descriptor names of a poll's fds argument"),
	str("fdlist.cips", "client IP addresses of a poll's descriptors"),
	str("fdlist.sips", "server IP addresses of a poll's descriptors"),
	str("fdlist.cports", "client ports of a poll's descriptors"),
	str("fdlist.sports", "server ports of a poll's descriptors"),
}
