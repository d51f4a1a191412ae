package rules

import "testing"

// TestStorageClasses holds the cases of Gatekeeper's storageclass
// template, written from its semantics: a PersistentVolumeClaim and every
// StatefulSet volumeClaimTemplates[] entry must name a storage class, one
// of allowedStorageClasses when that lists names; plus ours (the empty
// class, "*", the message without the list). The template's check that the
// class exists in the cluster is not Palisade's.
func TestStorageClasses(t *testing.T) {
	pvc := func(spec string) string {
		return `{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {` + spec + `accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}`
	}
	sts := func(claims string) string {
		return `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db}, spec: {serviceName: db, selector: {matchLabels: {app: db}},
			template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: postgres}]}}, volumeClaimTemplates: [` + claims + `]}}`
	}
	const allowed = `{allowedStorageClasses: [fast, standard]}`
	const mustBe = ": must be one of [fast, standard]"
	const unsetDetail = "no storage class named, so the cluster's default class decides"
	seed001Cases(t, "storageClasses", []seed001Case{
		{name: "a claim naming a class", manifest: pvc(`storageClassName: fast, `)},
		{name: "a claim naming no class", manifest: pvc(``),
			want: []Finding{{Where: "persistentVolumeClaim", Value: "unset", Field: "spec.storageClassName", Detail: unsetDetail}}},
		{name: "a claim naming the empty class", manifest: pvc(`storageClassName: "", `),
			want: []Finding{{Where: "persistentVolumeClaim", Value: "", Field: "spec.storageClassName", Detail: "the empty class binds only pre-provisioned volumes without a class"}}},
		{name: "a claim naming an allowed class", props: allowed, manifest: pvc(`storageClassName: standard, `)},
		{name: "a claim naming another class", props: allowed, manifest: pvc(`storageClassName: slow, `),
			want: []Finding{{Where: "persistentVolumeClaim", Value: "slow", Field: "spec.storageClassName", Detail: "not an allowed storage class" + mustBe}}},
		{name: "the list left out of the message", props: `{allowedStorageClasses: [fast], includeStorageClassesInMessage: false}`, manifest: pvc(`storageClassName: slow, `),
			want: []Finding{{Where: "persistentVolumeClaim", Value: "slow", Field: "spec.storageClassName", Detail: "not an allowed storage class"}}},
		{name: "an unnamed class with a list", props: allowed, manifest: pvc(``),
			want: []Finding{{Where: "persistentVolumeClaim", Value: "unset", Field: "spec.storageClassName", Detail: unsetDetail + mustBe}}},
		{name: "* allows any named class", props: `{allowedStorageClasses: ["*"]}`, manifest: pvc(`storageClassName: anything, `)},
		{name: "* still needs a name", props: `{allowedStorageClasses: ["*", fast]}`, manifest: pvc(``),
			want: []Finding{{Where: "persistentVolumeClaim", Value: "unset", Field: "spec.storageClassName", Detail: unsetDetail}}},
		{name: "a StatefulSet whose claims name classes", props: allowed,
			manifest: sts(`{metadata: {name: a}, spec: {storageClassName: fast}}, {metadata: {name: b}, spec: {storageClassName: standard}}`)},
		{name: "a StatefulSet claim naming no class", manifest: sts(`{metadata: {name: a}, spec: {storageClassName: fast}}, {metadata: {name: b}, spec: {}}`),
			want: []Finding{{Where: "volumeClaimTemplate", Value: "unset", Field: "spec.volumeClaimTemplates[1].spec.storageClassName", Detail: unsetDetail}}},
		{name: "a StatefulSet claim naming another class", props: allowed, manifest: sts(`{metadata: {name: a}, spec: {storageClassName: slow}}`),
			want: []Finding{{Where: "volumeClaimTemplate", Value: "slow", Field: "spec.volumeClaimTemplates[0].spec.storageClassName", Detail: "not an allowed storage class" + mustBe}}},
		{name: "a StatefulSet without claims", manifest: sts(``)},
		{name: "a Deployment has no claims", manifest: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {spec: {containers: [{name: c, image: nginx}]}}}}`},
	})
}

func TestStorageClassesProperties(t *testing.T) {
	seed001PropErrors(t, "storageClasses", map[string][]string{
		`{allowedStorageClasses: [fast, ""]}`: {"properties.allowedStorageClasses[1]"},
	})
}
