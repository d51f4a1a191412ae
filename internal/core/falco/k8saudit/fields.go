package k8saudit

// fieldDefs returns the source's fields: those of the k8saudit plugin 0.18
// in its order, then those of the json plugin 0.7, then the legacy jevt
// times.
func fieldDefs(opts Options) []def {
	defs := []def{
		single("ka.auditid", "the event's auditID, the same for each stage of a request", member(topAuditID)),
		single("ka.stage", "the stage the request was at (RequestReceived, ResponseStarted, ResponseComplete, Panic)", member(topStage)),
		single("ka.auth.decision", "the authorizer's decision (allow, forbid): annotation authorization.k8s.io/decision", annotation("authorization.k8s.io/decision")),
		single("ka.auth.reason", "why the authorizer decided so: annotation authorization.k8s.io/reason", annotation("authorization.k8s.io/reason")),
		single("ka.auth.openshift.decision", "the OpenShift OAuth server's authentication decision: annotation authentication.openshift.io/decision", annotation("authentication.openshift.io/decision")),
		single("ka.validations.admission.policy.failure", "the failures of ValidatingAdmissionPolicies: annotation validation.policy.admission.k8s.io/validation_failure", annotation("validation.policy.admission.k8s.io/validation_failure")),
		single("ka.security.pod.violations", "the Pod Security Admission violations: annotation pod-security.kubernetes.io/audit-violations", annotation("pod-security.kubernetes.io/audit-violations")),
		single("ka.auth.openshift.username", "the user the OpenShift OAuth server authenticated: annotation authentication.openshift.io/username", annotation("authentication.openshift.io/username")),
		single("ka.user.name", "the name of the user who made the request", userMember(userName)),
		list("ka.user.groups", "the groups of the user who made the request", userMembers(userGroups)),
		single("ka.impuser.name", "the name of the user the request impersonated", member(topImpersonatedUser, "username")),
		single("ka.verb", "the request's verb (get, list, watch, create, update, patch, delete, ...)", member(topVerb)),
		single("ka.uri", "the URI the client requested, query included", member(topRequestURI)),
		keyed("ka.uri.param", "the first value of a query parameter of the URI: ka.uri.param[command] is sh for ?command=sh&command=-c", uriParam),
		single("ka.target.name", "the name of the object the request is on (objectRef.name)", objectRef(refName)),
		single("ka.target.namespace", "the namespace of the object the request is on (objectRef.namespace)", objectRef(refNamespace)),
		single("ka.target.resource", "the resource the request is on (objectRef.resource: pods, secrets, ...)", objectRef(refResource)),
		single("ka.target.subresource", "the subresource the request is on (objectRef.subresource: exec, attach, status, ...)", objectRef(refSubresource)),
		single("ka.target.pod.name", "on the pods resource without subresource, the name of the pod the response carries", targetPodName),
		list("ka.req.binding.subjects", "the subjects of the (Cluster)RoleBinding the request carries, each as JSON", members(topRequestObject, "subjects")),
		list("ka.req.binding.subjects.user_names", "the names of the binding's User subjects", subjectNames("User", false)),
		list("ka.req.binding.subjects.serviceaccount_names", "the names of the binding's ServiceAccount subjects", subjectNames("ServiceAccount", false)),
		list("ka.req.binding.subjects.serviceaccount_ns_names", "the binding's ServiceAccount subjects as namespace:name", subjectNames("ServiceAccount", true)),
		list("ka.req.binding.subjects.group_names", "the names of the binding's Group subjects", subjectNames("Group", false)),
		single("ka.req.binding.role", "the name of the role the binding grants (roleRef.name)", member(topRequestObject, "roleRef", "name")),
		keyed("ka.req.binding.subject.has_name", "deprecated: true on every event, as in the plugin", func(string) (getFn, error) { return constant("true"), nil }),
		single("ka.req.configmap.name", "the name of the object the request is on (objectRef.name), meant for ConfigMaps", objectRef(refName)),
		single("ka.req.configmap.obj", "the data of the ConfigMap the request carries, as JSON", member(topRequestObject, "data")),
	}
	defs = append(defs, containerFields("containers", "containers")...)
	defs = append(defs,
		single("ka.req.container.image", "deprecated: the image of the pod's first container", firstContainer(false)),
		single("ka.req.container.image.repository", "deprecated: the image of the pod's first container without tag or digest", firstContainer(true)),
		single("ka.req.pod.host_ipc", "the pod's spec.hostIPC (true or false), when set", member(topRequestObject, "spec", "hostIPC")),
		single("ka.req.pod.host_network", "the pod's spec.hostNetwork (true or false), when set", member(topRequestObject, "spec", "hostNetwork")),
		single("ka.req.container.host_network", "deprecated: the same as ka.req.pod.host_network", member(topRequestObject, "spec", "hostNetwork")),
		single("ka.req.pod.host_pid", "the pod's spec.hostPID (true or false), when set", member(topRequestObject, "spec", "hostPID")),
		single("ka.req.container.privileged", "deprecated: true if one of the pod's containers is privileged, else false", anyPrivileged),
		single("ka.req.pod.run_as_user", "the pod's spec.securityContext.runAsUser", member(topRequestObject, "spec", "securityContext", "runAsUser")),
		single("ka.req.pod.run_as_group", "the pod's spec.securityContext.runAsGroup", member(topRequestObject, "spec", "securityContext", "runAsGroup")),
		list("ka.req.role.rules", "the rules of the (Cluster)Role the request carries, each as JSON", members(topRequestObject, "rules")),
		indexed("ka.req.role.rules.apiGroups", "the API groups of the role's rules (of the i-th rule with an index)", roleRules("apiGroups")),
		indexed("ka.req.role.rules.nonResourceURLs", "the non-resource URLs of the role's rules (of the i-th rule with an index)", roleRules("nonResourceURLs")),
		indexed("ka.req.role.rules.verbs", "the verbs of the role's rules (of the i-th rule with an index)", roleRules("verbs")),
		indexed("ka.req.role.rules.resources", "the resources of the role's rules (of the i-th rule with an index)", roleRules("resources")),
		single("ka.req.pod.fs_group", "the pod's spec.securityContext.fsGroup", member(topRequestObject, "spec", "securityContext", "fsGroup")),
		list("ka.req.pod.supplemental_groups", "the pod's spec.securityContext.supplementalGroups", members(topRequestObject, "spec", "securityContext", "supplementalGroups")),
		single("ka.req.service.type", "the type of the Service the request carries (ClusterIP, NodePort, LoadBalancer, ExternalName)", member(topRequestObject, "spec", "type")),
		indexed("ka.req.service.ports", "the ports of the Service the request carries: one value, the JSON of spec.ports, whatever the index (as in the plugin)", servicePorts),
		indexed("ka.req.pod.volumes.hostpath", "the host paths of the pod's hostPath volumes", volumeSet("hostPath", "path")),
		keyed("ka.req.volume.hostpath", "deprecated: true if a volume of the pod mounts the host path in brackets (a prefix when it ends with *), else false", volumeHostPath),
		indexed("ka.req.pod.volumes.flexvolume_driver", "the drivers of the pod's flexVolume volumes", volumeSet("flexVolume", "driver")),
		indexed("ka.req.pod.volumes.volume_type", "the types of the pod's volumes: each volume's keys but name (hostPath, configMap, ...)", volumeTypes),
		single("ka.resp.name", "the name of the object the response carries (responseObject.metadata.name)", member(topResponseObject, "metadata", "name")),
		single("ka.response.code", "the HTTP status code of the response (200, 403, ...)", member(topResponseStatus, "code")),
		single("ka.response.reason", "the reason of a failed response (Forbidden, NotFound, ...)", member(topResponseStatus, "reason")),
		single("ka.useragent", "the client's User-Agent", member(topUserAgent)),
		indexed("ka.sourceips", "the client's IP addresses (the i-th with an index)", sourceIPs),
		single("ka.cluster.name", "the cluster's name: annotation cluster_name, else the source's configured ClusterName", clusterName(opts.ClusterName)),
	)
	defs = append(defs, containerFields("initContainers", "init containers")...)
	defs = append(defs, containerFields("ephemeralContainers", "ephemeral containers")...)
	for _, prefix := range []string{"json", "jevt"} {
		defs = append(defs,
			keyed(prefix+".value", "the value at a JSON pointer in the event: "+prefix+".value[/requestObject/spec/hostNetwork]", jsonValue),
			single(prefix+".obj", "the whole event as indented JSON", jsonObj),
			single(prefix+".rawtime", "the event's time (stageTimestamp) in nanoseconds since the epoch", jsonRawtime),
		)
	}
	return append(defs,
		single("jevt.time", "the event's time of day, HH:MM:SS.nanoseconds in UTC", jsonTime("15:04:05.000000000")),
		single("jevt.time.iso8601", "the event's time in ISO 8601, UTC, with nanoseconds", jsonTime("2006-01-02T15:04:05.000000000Z")),
	)
}
