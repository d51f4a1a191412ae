package rules

import (
	"testing"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// TestServiceAccountUnchanged holds the cases of Gatekeeper's
// noupdateserviceaccount template, written from its semantics: on an
// UPDATE, a pod controller's serviceAccountName must not change unless the
// user or one of their groups is allowed; plus ours (unset is "default",
// the deprecated serviceAccount field, no old object outside admission).
func TestServiceAccountUnchanged(t *testing.T) {
	deploy := func(sa string) string {
		return `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {template: {spec: {` + sa + `containers: [{name: c, image: nginx}]}}}}`
	}
	cron := func(sa string) string {
		return `{apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly}, spec: {schedule: "@daily", jobTemplate: {spec: {template: {spec: {` + sa +
			`restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}}}`
	}
	const props = `{allowedUsers: [alice], allowedGroups: [platform-admins]}`
	bob := &UserInfo{Username: "bob", Groups: []string{"developers", "system:authenticated"}}
	changed := func(field, was, now string) []Finding {
		return []Finding{{Where: "pod", Value: now, Field: field,
			Detail: `changed from "` + was + `" by a user that neither allowedUsers nor allowedGroups names`}}
	}
	cases := []struct {
		name, props, old, obj string
		user                  *UserInfo
		want                  []Finding
	}{
		{name: "unchanged", props: props, old: deploy(`serviceAccountName: web, `), obj: deploy(`serviceAccountName: web, `), user: bob},
		{name: "changed by an unprivileged user", props: props, old: deploy(`serviceAccountName: web, `), obj: deploy(`serviceAccountName: admin, `), user: bob,
			want: changed("spec.template.spec.serviceAccountName", "web", "admin")},
		{name: "changed by an allowed user", props: props, old: deploy(`serviceAccountName: web, `), obj: deploy(`serviceAccountName: admin, `),
			user: &UserInfo{Username: "alice"}},
		{name: "changed by a member of an allowed group", props: props, old: deploy(`serviceAccountName: web, `), obj: deploy(`serviceAccountName: admin, `),
			user: &UserInfo{Username: "carol", Groups: []string{"developers", "platform-admins"}}},
		{name: "no allowed users by default", old: deploy(`serviceAccountName: web, `), obj: deploy(`serviceAccountName: admin, `),
			user: &UserInfo{Username: "alice", Groups: []string{"platform-admins"}},
			want: changed("spec.template.spec.serviceAccountName", "web", "admin")},
		{name: "a CronJob's job template", props: props, old: cron(`serviceAccountName: batch, `), obj: cron(`serviceAccountName: admin, `), user: bob,
			want: changed("spec.jobTemplate.spec.template.spec.serviceAccountName", "batch", "admin")},
		{name: "unset counts as default", props: props, old: deploy(``), obj: deploy(`serviceAccountName: default, `), user: bob},
		{name: "set from unset", props: props, old: deploy(``), obj: deploy(`serviceAccountName: admin, `), user: bob,
			want: changed("spec.template.spec.serviceAccountName", "default", "admin")},
		{name: "the deprecated serviceAccount field", props: props, old: deploy(`serviceAccount: web, `), obj: deploy(`serviceAccountName: web, `), user: bob},
		{name: "a create has no old object", props: props, obj: deploy(`serviceAccountName: admin, `), user: bob},
		{name: "no user known", props: props, old: deploy(`serviceAccountName: web, `), obj: deploy(`serviceAccountName: admin, `),
			want: changed("spec.template.spec.serviceAccountName", "web", "admin")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := seed001Input(seed001Object(t, tc.obj), "prod")
			if tc.old != "" {
				in.OldObject = seed001Object(t, tc.old)
			}
			in.UserInfo = tc.user
			got := seed001Check(t, "serviceAccountUnchanged", tc.props)(in)
			if diff := seed001Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// An old object of another kind (never sent by the API server) is not
// compared.
func TestServiceAccountUnchangedOtherKind(t *testing.T) {
	in := seed001Input(seed001Object(t, `{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {serviceAccountName: admin, containers: [{name: c, image: nginx}]}}`), "prod")
	in.OldObject = &workload.Object{APIVersion: "apps/v1", Kind: "Deployment"}
	if got := seed001Check(t, "serviceAccountUnchanged", "")(in); len(got) != 0 {
		t.Errorf("findings %v, want none", got)
	}
}
