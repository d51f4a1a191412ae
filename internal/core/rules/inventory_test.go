package rules

import (
	"reflect"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// inventoryCase is one row of a referential rule's table: manifest is
// judged in namespace "prod" with an inventory holding others (nil
// others: no inventory at all).
type inventoryCase struct {
	name     string
	manifest string
	others   []string
	want     []Finding
}

func inventoryCases(t *testing.T, id string, cases []inventoryCase) {
	t.Helper()
	check := seed001Check(t, id, "")
	for _, tc := range cases {
		// Each case runs on the index (IndexedInventory: the uniqueness
		// rules look up by host and selector) and on the same objects
		// behind the plain interface, as the agent's informers offer them.
		for _, indexed := range []bool{true, false} {
			name := tc.name
			if !indexed {
				name += "/plain inventory"
			}
			t.Run(name, func(t *testing.T) {
				in := seed001Input(seed001Object(t, tc.manifest), "prod")
				if tc.others != nil {
					idx := NewInventoryIndex()
					for _, m := range tc.others {
						idx.Add(seed001Object(t, m), "prod")
					}
					in.Inventory = idx
					if !indexed {
						in.Inventory = plainInventory{idx}
					}
				}
				if diff := seed001Diff(tc.want, check(in)); diff != "" {
					t.Errorf("findings (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// plainInventory hides an index's lookups: only the Inventory methods.
type plainInventory struct{ Inventory }

func TestInventoryIndex(t *testing.T) {
	idx := NewInventoryIndex()
	add := func(manifest string) bool { return idx.Add(seed001Object(t, manifest), "prod") }
	for _, m := range []string{
		`{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: a, namespace: shop}}`,
		`{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: b}}`,
		`{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {selector: {app: a}}}`,
		`{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: p, namespace: shop}, spec: {minAvailable: 1}}`,
		`{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db}, spec: {replicas: 3, template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: x}]}}}}`,
	} {
		if !add(m) {
			t.Errorf("Add(%s) = false, want true", m)
		}
	}
	for _, m := range []string{
		`{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}`,
		`{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: d}, spec: {template: {spec: {containers: [{name: c, image: x}]}}}}`,
		`{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}`,
		`{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: web-5d9f, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u, controller: true}]}, spec: {replicas: 2, template: {spec: {containers: [{name: c, image: x}]}}}}`,
	} {
		if add(m) {
			t.Errorf("Add(%s) = true, want false", m)
		}
	}
	if got := idx.Ingresses(); len(got) != 2 || got[0].Namespace != "shop" || got[1].Namespace != "prod" {
		t.Errorf("Ingresses: %d, want shop/a and prod/b (a missing namespace is the default)", len(got))
	}
	if got := idx.Services("prod"); len(got) != 1 || got[0].Name != "s" {
		t.Errorf("Services(prod) = %v", got)
	}
	if len(idx.Services("shop")) != 0 || len(idx.PodDisruptionBudgets("prod")) != 0 || len(idx.PodDisruptionBudgets("shop")) != 1 {
		t.Error("objects filed under the wrong namespace")
	}
	ws := idx.Workloads("prod")
	if len(ws) != 1 || ws[0].Kind != "StatefulSet" || ws[0].Name != "db" || *ws[0].Replicas != 3 || ws[0].Labels["app"] != "db" {
		t.Errorf("Workloads(prod) = %+v", ws)
	}
}

func TestWorkloadOf(t *testing.T) {
	obj := &workload.Object{Kind: "Deployment"}
	if _, ok := WorkloadOf(obj, "prod"); ok {
		t.Error("a Deployment without a pod template is no workload")
	}
}

// A scan's first pass reads workloads with workload.DecodeReplicated; the
// inventory must hold the same Workload as from a whole decode.
func TestWorkloadOfReplicatedMatchesWorkloadOf(t *testing.T) {
	for _, m := range []string{
		`{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop}, spec: {replicas: 3, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}}}`,
		`{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db}, spec: {template: {metadata: {labels: {app: db, tier: data}}, spec: {containers: [{name: c, image: x}]}}}}`,
		`{apiVersion: v1, kind: ReplicationController, metadata: {name: rc}, spec: {replicas: 0, template: {spec: {containers: [{name: c, image: x}]}}}}`,
		`{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: web-5d9f, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u, controller: true}]}, spec: {replicas: 2, template: {spec: {containers: [{name: c, image: x}]}}}}`,
		`{apiVersion: apps/v1, kind: Deployment, metadata: {name: bare}, spec: {}}`,
		`{apiVersion: apps/v1beta1, kind: Deployment, metadata: {name: old}, spec: {replicas: 1}}`,
		`{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: d}, spec: {template: {spec: {containers: [{name: c, image: x}]}}}}`,
	} {
		obj := seed001Object(t, m)
		want, wantOK := WorkloadOf(obj, "prod")
		if obj.Unknown != "" {
			wantOK = false
		}
		r, err := workload.DecodeReplicated(obj.Raw, obj.APIVersion, obj.Kind)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		var got Workload
		var gotOK bool
		if r != nil {
			got, gotOK = WorkloadOfReplicated(r, obj.Kind, "prod")
		}
		if gotOK != wantOK || (wantOK && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s:\n summary %+v %v\n whole   %+v %v", m, got, gotOK, want, wantOK)
		}
	}
}
