package clusterscan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// om is an object's metadata in namespace prod; owner, when set, is
// "KIND/UID" of its controller, or "KIND/UID/not-controller" for a mere
// owner.
func om(name, uid, owner string) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: name, Namespace: "prod", UID: types.UID(uid)}
	if owner == "" {
		return m
	}
	parts := strings.SplitN(owner, "/", 3)
	controller := len(parts) < 3 || parts[2] != "not-controller"
	m.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: parts[0], Name: "owner", UID: types.UID(parts[1]), Controller: &controller}}
	return m
}

func pod(name, uid, owner string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: om(name, uid, owner),
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
		Status:     corev1.PodStatus{Phase: phase},
	}
}

// cluster is a small cluster with every ownership case.
func cluster() []runtime.Object {
	return []runtime.Object{
		&batchv1.CronJob{ObjectMeta: om("nightly", "cj-1", "")},
		&batchv1.Job{ObjectMeta: om("nightly-1", "job-1", "CronJob/cj-1")},
		pod("nightly-1-x", "p-1", "Job/job-1", corev1.PodRunning),
		&appsv1.Deployment{ObjectMeta: om("web", "dep-1", "")},
		&appsv1.ReplicaSet{ObjectMeta: om("web-abc", "rs-1", "Deployment/dep-1")},
		pod("web-abc-1", "p-2", "ReplicaSet/rs-1", corev1.PodRunning),
		// The Deployment that owned it is gone: the ReplicaSet is the source.
		&appsv1.ReplicaSet{ObjectMeta: om("orphan", "rs-2", "Deployment/gone")},
		pod("orphan-1", "p-3", "ReplicaSet/rs-2", corev1.PodRunning),
		&appsv1.StatefulSet{ObjectMeta: om("db", "ss-1", "")},
		pod("db-0", "p-4", "StatefulSet/ss-1", corev1.PodRunning),
		&appsv1.DaemonSet{ObjectMeta: om("agent", "ds-1", "")},
		pod("agent-x", "p-5", "DaemonSet/ds-1", corev1.PodRunning),
		&corev1.ReplicationController{ObjectMeta: om("legacy", "rc-1", "")},
		pod("legacy-x", "p-6", "ReplicationController/rc-1", corev1.PodRunning),
		pod("bare", "p-7", "", corev1.PodRunning),
		// A static pod's mirror is controlled by its Node, which carries no template.
		pod("mirror", "p-8", "Node/node-1", corev1.PodRunning),
		// A controller Palisade does not list: the Pod is the source.
		pod("canary", "p-9", "Rollout/ro-1", corev1.PodRunning),
		// Owned but not controlled.
		pod("helper", "p-10", "ReplicaSet/rs-1/not-controller", corev1.PodRunning),
		pod("done", "p-11", "", corev1.PodSucceeded),
		pod("crashed", "p-12", "", corev1.PodFailed),
		&corev1.Service{ObjectMeta: om("web", "svc-1", "")},
		&corev1.ServiceAccount{ObjectMeta: om("default", "sa-1", "")},
		&rbacv1.Role{ObjectMeta: om("reader", "role-1", "")},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "admin", UID: "cr-1"}},
	}
}

func listNames(t *testing.T, l *Lister) []string {
	t.Helper()
	var got []string
	err := l.List(context.Background(), func(obj *workload.Object, failed *ListError) error {
		if failed != nil {
			t.Errorf("unexpected error: %v", failed)
			return nil
		}
		got = append(got, obj.Kind+" "+obj.Meta.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

func TestOwnerFiltering(t *testing.T) {
	want := []string{
		"CronJob nightly", "DaemonSet agent", "Deployment web",
		"Pod bare", "Pod canary", "Pod helper", "Pod mirror",
		"ReplicaSet orphan", "ReplicationController legacy",
		"Role reader", "Service web", "ServiceAccount default", "StatefulSet db",
	}
	t.Run("one namespace", func(t *testing.T) {
		got := listNames(t, &Lister{Client: fake.NewClientset(cluster()...), Namespace: "prod"})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("reported (-want +got):\n%s", diff)
		}
	})
	t.Run("every namespace lists cluster-scoped kinds too", func(t *testing.T) {
		got := listNames(t, &Lister{Client: fake.NewClientset(cluster()...)})
		if diff := cmp.Diff(append([]string{"ClusterRole admin"}, want...), got); diff != "" {
			t.Errorf("reported (-want +got):\n%s", diff)
		}
	})
}

func TestCovered(t *testing.T) {
	seen := owners{}
	seen.add(&metav1.ObjectMeta{UID: "rs-1"})
	tests := []struct {
		name string
		meta metav1.ObjectMeta
		want bool
	}{
		{"no owner", om("a", "1", ""), false},
		{"listed controller", om("a", "1", "ReplicaSet/rs-1"), true},
		{"controller not listed", om("a", "1", "ReplicaSet/rs-9"), false},
		{"listed owner that is not the controller", om("a", "1", "ReplicaSet/rs-1/not-controller"), false},
	}
	for _, tc := range tests {
		if got := seen.covered(&tc.meta); got != tc.want {
			t.Errorf("%s: covered = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The Lister pages with Limit and Continue, and carries on with the token
// a 410 Expired answer offers.
func TestListPages(t *testing.T) {
	const n = 1201
	client := fake.NewClientset()
	var calls []metav1.ListOptions
	client.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		opts := a.(k8stesting.ListActionImpl).ListOptions
		calls = append(calls, opts)
		page := func(from, to int, next string) *corev1.PodList {
			l := &corev1.PodList{ListMeta: metav1.ListMeta{Continue: next}}
			for i := from; i < to; i++ {
				l.Items = append(l.Items, *pod("p"+strconv.Itoa(i), "u"+strconv.Itoa(i), "", corev1.PodRunning))
			}
			return l
		}
		switch opts.Continue {
		case "":
			return true, page(0, 500, "t1"), nil
		case "t1":
			return true, nil, &apierrors.StatusError{ErrStatus: metav1.Status{
				Status: metav1.StatusFailure, Code: 410, Reason: metav1.StatusReasonExpired,
				ListMeta: metav1.ListMeta{Continue: "t1-inconsistent"},
			}}
		case "t1-inconsistent":
			return true, page(500, 1000, "t2"), nil
		case "t2":
			return true, page(1000, n, ""), nil
		}
		return true, nil, fmt.Errorf("unexpected continue %q", opts.Continue)
	})
	got := listNames(t, &Lister{Client: client, Namespace: "prod"})
	if len(got) != n || len(slices.Compact(got)) != n {
		t.Errorf("visited %d pods (%d distinct), want %d", len(got), len(slices.Compact(got)), n)
	}
	var conts []string
	for _, c := range calls {
		if c.Limit != DefaultPageSize {
			t.Errorf("Limit %d, want %d", c.Limit, DefaultPageSize)
		}
		conts = append(conts, c.Continue)
	}
	if diff := cmp.Diff([]string{"", "t1", "t1-inconsistent", "t2"}, conts); diff != "" {
		t.Errorf("continue tokens (-want +got):\n%s", diff)
	}
}

// A kind the API server refuses is reported and the listing goes on; an
// API server that cannot be reached stops it.
func TestListErrors(t *testing.T) {
	client := fake.NewClientset(pod("bare", "p-1", "", corev1.PodRunning))
	client.PrependReactor("list", "clusterroles", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(rbacv1.Resource("clusterroles"), "", errors.New("no"))
	})
	var got []string
	err := (&Lister{Client: client}).List(context.Background(), func(obj *workload.Object, failed *ListError) error {
		if failed != nil {
			got = append(got, "error: "+failed.Error())
		} else {
			got = append(got, obj.Kind+" "+obj.Meta.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Pod bare", `error: list ClusterRole: clusterroles.rbac.authorization.k8s.io is forbidden: no`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("visits (-want +got):\n%s", diff)
	}

	down := fake.NewClientset()
	down.PrependReactor("list", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("dial tcp 127.0.0.1:6443: connect: connection refused")
	})
	visits := 0
	err = (&Lister{Client: down}).List(context.Background(), func(*workload.Object, *ListError) error { visits++; return nil })
	var le *ListError
	if !errors.As(err, &le) || le.Kind != "CronJob" || visits != 0 {
		t.Errorf("err = %v after %d visits, want the first kind's connection error", err, visits)
	}
}
