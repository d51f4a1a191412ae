package rules

import (
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// Reads: on an admission UPDATE, the pod template's serviceAccountName
// (or its deprecated alias serviceAccount; unset is "default") in the old
// and the new object, and the requesting user's name and groups. Refused:
// a change, unless the user is in allowedUsers or one of their groups in
// allowedGroups. Scan and continuous evaluation see no UPDATE: the rule
// finds nothing there.

// ServiceAccountUnchangedParams configures serviceAccountUnchanged.
type ServiceAccountUnchangedParams struct {
	AllowedUsers  []string `json:"allowedUsers" doc:"user names that may change a workload's service account (\"system:serviceaccount:NAMESPACE:NAME\" for a service account)"`
	AllowedGroups []string `json:"allowedGroups" doc:"groups whose members may change a workload's service account"`
}

func init() {
	register(&Rule{
		ID:    "serviceAccountUnchanged",
		Title: "Workload's service account changed on update",
		Description: "Flags an UPDATE of a Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob or ReplicationController that changes the pod template's serviceAccountName, " +
			"unless the requesting user is in allowedUsers or in one of allowedGroups, as Gatekeeper's noupdateserviceaccount template does. " +
			"Whoever may edit a workload but not bind roles could otherwise run it as a more privileged service account of its namespace. " +
			"Only admission sees updates: in scan and in continuous checks the rule finds nothing. " +
			"Unlike the template, which refuses every update of an object without serviceAccountName, an unset name counts as \"default\", " +
			"the account the pod runs as (and the deprecated serviceAccount field as the name when serviceAccountName is unset).",
		Sources:  []Source{{productGatekeeper, "noupdateserviceaccount (NoUpdateServiceAccount)"}},
		Severity: High, Tabs: deploymentOnly, Targets: TargetPod, OldObject: true,
		Params: func() any { return &ServiceAccountUnchangedParams{} },
		New: func(p any) (Check, error) {
			sp := p.(*ServiceAccountUnchangedParams)
			users, groups := sp.AllowedUsers, sp.AllowedGroups
			return func(in *Input) []Finding {
				old := in.OldObject
				if old == nil || old.Pod == nil || in.Pod() == nil || old.Kind != in.Object.Kind || in.Object.Kind == "PodTemplate" {
					return nil
				}
				was, now := serviceAccountOf(old.Pod.Spec), serviceAccountOf(in.Pod().Spec)
				if was == now {
					return nil
				}
				if u := in.UserInfo; u != nil && (slices.Contains(users, u.Username) || slices.ContainsFunc(u.Groups, func(g string) bool { return slices.Contains(groups, g) })) {
					return nil
				}
				f := PodFinding(in, "pod", "serviceAccountName", now)
				f.Detail = "changed from " + strconv.Quote(was) + " by a user that neither allowedUsers nor allowedGroups names"
				return []Finding{f}
			}, nil
		},
	})
}

// serviceAccountOf is the service account a pod spec runs as.
func serviceAccountOf(spec *corev1.PodSpec) string {
	switch {
	case spec.ServiceAccountName != "":
		return spec.ServiceAccountName
	case spec.DeprecatedServiceAccount != "":
		return spec.DeprecatedServiceAccount
	}
	return "default"
}
