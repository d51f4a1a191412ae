package syscall

// fdFields describe the descriptor a syscall acts on. The client/server
// fields (fd.cip, fd.sport, ...) follow the connection's roles, the
// local/remote ones (fd.lip, fd.rport, ...) the process's point of view;
// fd.ip, fd.port, fd.proto and the fd.*net fields match either side and
// serve in conditions only.
var fdFields = []spec{
	num("fd.num", "descriptor number"),
	str("fd.type", "descriptor type: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, memfd, ..."),
	str("fd.typechar", "descriptor type as one character (f, 4, 6, u, p, e, s, l, i, b, r, m, o)"),
	str("fd.name", "full name: the path of a file, the connection tuple of a socket"),
	str("fd.directory", "directory of a file descriptor"),
	str("fd.filename", "file name without its directory"),
	addr("fd.ip", "client or server IP address (conditions only)"),
	addr("fd.cip", "client IP address"),
	addr("fd.sip", "server IP address"),
	addr("fd.lip", "local IP address"),
	addr("fd.rip", "remote IP address"),
	num("fd.port", "client or server port (conditions only)"),
	num("fd.cport", "client port of a TCP/UDP socket"),
	num("fd.sport", "server port of a TCP/UDP socket"),
	num("fd.lport", "local port of a TCP/UDP socket"),
	num("fd.rport", "remote port of a TCP/UDP socket"),
	str("fd.l4proto", "IP protocol of a socket: tcp, udp, icmp or raw"),
	str("fd.sockfamily", "socket family: ip or unix"),
	flag("fd.is_server", "true if the process is the server end of the connection"),
	str("fd.uid", "unique id of the descriptor: its number and the thread id"),
	str("fd.containername", "container id and descriptor name together"),
	str("fd.containerdirectory", "container id and directory together"),
	num("fd.proto", "client or server protocol (conditions only)"),
	str("fd.cproto", "client protocol of a TCP/UDP socket"),
	str("fd.sproto", "server protocol of a TCP/UDP socket"),
	str("fd.lproto", "local protocol of a TCP/UDP socket"),
	str("fd.rproto", "remote protocol of a TCP/UDP socket"),
	network("fd.net", "client or server IP network (conditions only)"),
	network("fd.cnet", "client IP network (conditions only)"),
	network("fd.snet", "server IP network (conditions only)"),
	network("fd.lnet", "local IP network (conditions only)"),
	network("fd.rnet", "remote IP network (conditions only)"),
	flag("fd.connected", "true if a TCP/UDP socket is connected"),
	flag("fd.name_changed", "true when the event changed the descriptor's name (a UDP tuple, say)"),
	str("fd.cip.name", "domain name of the client IP address"),
	str("fd.sip.name", "domain name of the server IP address"),
	str("fd.lip.name", "domain name of the local IP address"),
	str("fd.rip.name", "domain name of the remote IP address"),
	num("fd.dev", "device number (major and minor) holding the file"),
	num("fd.dev.major", "major device number holding the file"),
	num("fd.dev.minor", "minor device number holding the file"),
	num("fd.ino", "inode of the file"),
	str("fd.nameraw", "path of a file as passed, barely sanitized and not made absolute"),
	str("fd.types", "types of the process's descriptors; fd.types[N] is the type of descriptor N alone").
		list().optional(argIndex),
	flag("fd.is_upper_layer", "true if the file is in an overlayfs upper layer"),
	flag("fd.is_lower_layer", "true if the file is in an overlayfs lower layer"),
}

// containerFields come from the container plugin, which Falco loads by
// default for the syscall source. On the host, container.id and
// container.name are "host".
var containerFields = []spec{
	str("container.id", "container id, first 12 characters (host outside containers)"),
	str("container.full_id", "full container id"),
	str("container.name", "container name (host outside containers)"),
	str("container.image", "image name, such as falcosecurity/falco:latest"),
	str("container.image.id", "image id"),
	str("container.type", "container type: docker, cri-o, containerd, ..."),
	flag("container.privileged", "true for privileged containers"),
	str("container.mounts", "the mounts, space-separated, each source:dest:mode:rdrw:propagation"),
	str("container.mount", "one mount, by position (container.mount[0]) or source glob (container.mount[/usr/local/*]); none when no mount matches").
		required(argIndexOrKey),
	str("container.mount.source", "source of one mount, by position or destination glob").required(argIndexOrKey),
	str("container.mount.dest", "destination of one mount, by position or source glob").required(argIndexOrKey),
	str("container.mount.mode", "mode of one mount, by position or source glob").required(argIndexOrKey),
	str("container.mount.rdwr", "read/write flag of one mount, by position or source glob").required(argIndexOrKey),
	str("container.mount.propagation", "propagation of one mount, by position or source glob").required(argIndexOrKey),
	str("container.image.repository", "image repository, such as falcosecurity/falco"),
	str("container.image.tag", "image tag, such as latest"),
	str("container.image.digest", "image digest, sha256:..."),
	str("container.healthcheck", "deprecated: the health check command; N/A when none"),
	str("container.liveness_probe", "deprecated: the liveness probe command; N/A when none"),
	str("container.readiness_probe", "deprecated: the readiness probe command; N/A when none"),
	num("container.start_ts", "container start, nanoseconds since the epoch"),
	num("container.duration", "nanoseconds since the container started"),
	str("container.ip", "primary IPv4 address of the container or pod"),
	str("container.cni.json", "CNI result of the pod, as JSON text (CRI runtimes)"),
	flag("container.host_pid", "true if the container shares the host pid namespace"),
	flag("container.host_network", "true if the container shares the host network namespace"),
	flag("container.host_ipc", "true if the container shares the host IPC namespace"),
	str("container.label", "one container label, container.label[NAME] or container.label.NAME").
		required(argKey).dot(),
	str("container.labels", "container labels as comma-separated key:value pairs"),
}

// k8sFields come from the container plugin too, read from the container
// runtime; the controller, service and namespace-label fields are
// deprecated in favor of the k8smeta plugin and stay empty.
var k8sFields = []spec{
	str("k8s.ns.name", "Kubernetes namespace of the pod"),
	str("k8s.pod.name", "Kubernetes pod name"),
	str("k8s.pod.id", "legacy name of k8s.pod.uid"),
	str("k8s.pod.uid", "Kubernetes pod UID"),
	str("k8s.pod.sandbox_id", "pod sandbox id, first 12 characters"),
	str("k8s.pod.full_sandbox_id", "full pod sandbox id"),
	str("k8s.pod.label", "one pod label, k8s.pod.label[NAME] or k8s.pod.label.NAME").
		required(argKey).dot(),
	str("k8s.pod.labels", "pod labels as comma-separated key:value pairs"),
	str("k8s.pod.ip", "primary IPv4 address of the pod"),
	str("k8s.pod.cni.json", "CNI result of the pod, as JSON text"),
	str("k8s.rc.name", "deprecated: replication controller name"),
	str("k8s.rc.id", "deprecated: replication controller id"),
	str("k8s.rc.label", "deprecated: one replication controller label").required(argKey),
	str("k8s.rc.labels", "deprecated: replication controller labels"),
	str("k8s.svc.name", "deprecated: service name"),
	str("k8s.svc.id", "deprecated: service id"),
	str("k8s.svc.label", "deprecated: one service label").required(argKey),
	str("k8s.svc.labels", "deprecated: service labels"),
	str("k8s.ns.id", "deprecated: namespace id"),
	str("k8s.ns.label", "deprecated: one namespace label").required(argKey),
	str("k8s.ns.labels", "deprecated: namespace labels"),
	str("k8s.rs.name", "deprecated: replica set name"),
	str("k8s.rs.id", "deprecated: replica set id"),
	str("k8s.rs.label", "deprecated: one replica set label").required(argKey),
	str("k8s.rs.labels", "deprecated: replica set labels"),
	str("k8s.deployment.name", "deprecated: deployment name"),
	str("k8s.deployment.id", "deprecated: deployment id"),
	str("k8s.deployment.label", "deprecated: one deployment label").required(argKey),
	str("k8s.deployment.labels", "deprecated: deployment labels"),
}
