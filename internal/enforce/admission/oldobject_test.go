package admission

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
)

// An UPDATE carries its old object and its user to the rules:
// serviceAccountUnchanged refuses a changed serviceAccountName unless the
// user or a group is allowed, and cel's oldObject is the replaced object.
func TestReviewUpdateSeesOldObjectAndUser(t *testing.T) {
	const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: nginx:1.27}]
`
	web := toJSON(t, deployment)
	admin := toJSON(t, strings.Replace(deployment, "serviceAccountName: web", "serviceAccountName: admin", 1))
	shrunk := toJSON(t, strings.Replace(deployment, "replicas: 2", "replicas: 1", 1))
	const saMsg = `pod violates rule serviceAccountUnchanged "admin": changed from "web" by a user that neither allowedUsers nor allowedGroups names (block).`
	const celMsg = `object violates rule cel "replicas may only grow" (block).`
	policy := func(allowedUsers string) string {
		return `
  clusterWide:
    deployment:
      rules:
        - {rule: serviceAccountUnchanged, action: block, properties: {allowedUsers: [` + allowedUsers + `], allowedGroups: [platform-admins]}}
        - {rule: cel, action: block, properties: {expression: "oldObject == null || object.spec.replicas >= oldObject.spec.replicas", message: replicas may only grow}}
`
	}
	withGroups := func(req *admissionv1.AdmissionRequest, groups ...string) *admissionv1.AdmissionRequest {
		req.UserInfo.Groups = append(req.UserInfo.Groups, groups...)
		return req
	}
	tests := []struct {
		name, allowedUsers string
		req                *admissionv1.AdmissionRequest
		want               *admissionv1.AdmissionResponse
	}{
		{name: "a changed service account is refused", allowedUsers: "bob",
			req:  request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", admin, web),
			want: deny("\n- "+saMsg, annotations("p", "serviceAccountUnchanged:block", "denied"))},
		{name: "an allowed user may change it", allowedUsers: testUser,
			req:  request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", admin, web),
			want: allow(nil, nil)},
		{name: "a member of an allowed group may change it", allowedUsers: "bob",
			req:  withGroups(request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", admin, web), "platform-admins"),
			want: allow(nil, nil)},
		{name: "an unchanged service account passes", allowedUsers: "bob",
			req:  request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", web, web),
			want: allow(nil, nil)},
		{name: "a CREATE has no old object", allowedUsers: "bob",
			req:  request(admissionv1.Create, deploymentKind, "deployments", "", "shop", "web", admin, nil),
			want: allow(nil, nil)},
		{name: "cel reads oldObject: a shrink the old object did not have is refused", allowedUsers: "bob",
			req:  request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", shrunk, web),
			want: deny("\n- "+celMsg, annotations("p", "cel:block", "denied"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compile(t, "p", policy(tt.allowedUsers))
			r := New(Options{Policy: func() *engine.Compiled { return c }, Now: func() time.Time { return testNow }})
			out := r.Review(context.Background(), tt.req)
			if diff := cmp.Diff(tt.want, out.Response); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}
