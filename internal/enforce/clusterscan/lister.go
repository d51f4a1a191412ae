package clusterscan

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// DefaultPageSize is the number of objects asked for per list request.
const DefaultPageSize = 500

// Lister lists the live objects a cluster audit judges.
type Lister struct {
	Client kubernetes.Interface
	// Namespace limits the listing to one namespace; "" lists every
	// namespace and the cluster-scoped kinds (ClusterRole,
	// ClusterRoleBinding).
	Namespace string
	// PageSize is the list requests' Limit; 0 means DefaultPageSize.
	PageSize int64
}

// ListError is a listing, or one listed object, that could not be read.
type ListError struct {
	// Kind is what was being listed.
	Kind string
	// Namespace and Name name the object, when one object failed.
	Namespace, Name string
	Err             error
}

func (e *ListError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("%s %s: %v", e.Kind, qualified(e.Namespace, e.Name), e.Err)
	}
	return fmt.Sprintf("list %s: %v", e.Kind, e.Err)
}

func (e *ListError) Unwrap() error { return e.Err }

func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// Visit receives each object to report, or a *ListError for a kind the API
// server refused to list (forbidden, not served) or an object that could
// not be converted; the listing goes on past those. An error Visit returns
// stops the listing.
type Visit func(obj *workload.Object, err *ListError) error

// kind is one listed kind.
type kind struct {
	gvk     schema.GroupVersionKind
	cluster bool // cluster-scoped
	// owner kinds carry a pod template and may control objects listed
	// after them.
	owner bool
	list  func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error)
}

// kinds are listed in this order: owners before what they own. PodTemplates
// are not listed: they run nothing.
var kinds = []kind{
	{gvk: gvk("batch", "CronJob"), owner: true, list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.BatchV1().CronJobs(ns).List(ctx, o)
	}},
	{gvk: gvk("apps", "Deployment"), owner: true, list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.AppsV1().Deployments(ns).List(ctx, o)
	}},
	{gvk: gvk("batch", "Job"), owner: true, list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.BatchV1().Jobs(ns).List(ctx, o)
	}},
	{gvk: gvk("apps", "ReplicaSet"), owner: true, list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.AppsV1().ReplicaSets(ns).List(ctx, o)
	}},
	{gvk: gvk("apps", "StatefulSet"), owner: true, list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.AppsV1().StatefulSets(ns).List(ctx, o)
	}},
	{gvk: gvk("apps", "DaemonSet"), owner: true, list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.AppsV1().DaemonSets(ns).List(ctx, o)
	}},
	{gvk: gvk("", "ReplicationController"), owner: true, list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.CoreV1().ReplicationControllers(ns).List(ctx, o)
	}},
	{gvk: gvk("", "Pod"), list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.CoreV1().Pods(ns).List(ctx, o)
	}},
	{gvk: gvk("", "Service"), list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.CoreV1().Services(ns).List(ctx, o)
	}},
	{gvk: gvk("networking.k8s.io", "Ingress"), list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.NetworkingV1().Ingresses(ns).List(ctx, o)
	}},
	{gvk: gvk("", "ServiceAccount"), list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.CoreV1().ServiceAccounts(ns).List(ctx, o)
	}},
	{gvk: gvk("rbac.authorization.k8s.io", "Role"), list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.RbacV1().Roles(ns).List(ctx, o)
	}},
	{gvk: gvk("rbac.authorization.k8s.io", "RoleBinding"), list: func(ctx context.Context, c kubernetes.Interface, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return c.RbacV1().RoleBindings(ns).List(ctx, o)
	}},
	{gvk: gvk("rbac.authorization.k8s.io", "ClusterRole"), cluster: true, list: func(ctx context.Context, c kubernetes.Interface, _ string, o metav1.ListOptions) (runtime.Object, error) {
		return c.RbacV1().ClusterRoles().List(ctx, o)
	}},
	{gvk: gvk("rbac.authorization.k8s.io", "ClusterRoleBinding"), cluster: true, list: func(ctx context.Context, c kubernetes.Interface, _ string, o metav1.ListOptions) (runtime.Object, error) {
		return c.RbacV1().ClusterRoleBindings().List(ctx, o)
	}},
}

func gvk(group, k string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: group, Version: "v1", Kind: k}
}

// List visits every object to report. A kind the API server refuses is a
// *ListError passed to visit; a failure to reach the API server (or ctx
// ending) stops the listing and is returned.
func (l *Lister) List(ctx context.Context, visit Visit) error {
	seen := owners{}
	for i := range kinds {
		k := &kinds[i]
		if k.cluster && l.Namespace != "" {
			continue
		}
		failed, err := l.listKind(ctx, k, seen, visit)
		if err != nil {
			return err
		}
		if failed == nil {
			continue
		}
		var status apierrors.APIStatus
		if !errors.As(failed.Err, &status) || ctx.Err() != nil {
			return failed // not the API server's answer: it cannot be reached
		}
		if err := visit(nil, failed); err != nil {
			return err
		}
	}
	return nil
}

// listKind pages through one kind. A failed request comes back as failed;
// err is what visit returned.
func (l *Lister) listKind(ctx context.Context, k *kind, seen owners, visit Visit) (failed *ListError, err error) {
	opts := metav1.ListOptions{Limit: l.PageSize}
	if opts.Limit <= 0 {
		opts.Limit = DefaultPageSize
	}
	ns := l.Namespace
	for {
		list, err := k.list(ctx, l.Client, ns, opts)
		if err != nil {
			// A continue token that expired mid-listing comes back with
			// one that carries on, inconsistently but without repeating
			// what was visited: good enough for an audit.
			if next := expiredContinue(err); next != "" && opts.Continue != "" {
				opts.Continue = next
				continue
			}
			return &ListError{Kind: k.gvk.Kind, Err: err}, nil
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return &ListError{Kind: k.gvk.Kind, Err: err}, nil
		}
		for _, it := range items {
			if err := l.visitItem(k, it, seen, visit); err != nil {
				return nil, err
			}
		}
		lm, err := meta.ListAccessor(list)
		if err != nil {
			return &ListError{Kind: k.gvk.Kind, Err: err}, nil
		}
		if opts.Continue = lm.GetContinue(); opts.Continue == "" {
			return nil, nil
		}
	}
}

func (l *Lister) visitItem(k *kind, it runtime.Object, seen owners, visit Visit) error {
	m, err := meta.Accessor(it)
	if err != nil {
		return visit(nil, &ListError{Kind: k.gvk.Kind, Err: err})
	}
	if skip(k, it, m, seen) {
		return nil
	}
	obj, err := Convert(it, k.gvk)
	if err != nil {
		return visit(nil, &ListError{Kind: k.gvk.Kind, Namespace: m.GetNamespace(), Name: m.GetName(), Err: err})
	}
	return visit(obj, nil)
}

// skip decides whether a listed object is left out of the report, and
// records owners: an object whose listed controller is reported instead,
// and a Pod that has finished (it runs nothing).
func skip(k *kind, it runtime.Object, m metav1.Object, seen owners) bool {
	covered := seen.covered(m)
	if k.owner {
		seen.add(m)
	}
	if covered {
		return true
	}
	if p, ok := it.(*corev1.Pod); ok {
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	}
	return false
}

// expiredContinue returns the continue token a 410 Expired answer offers
// for carrying on, or "".
func expiredContinue(err error) string {
	var status apierrors.APIStatus
	if !apierrors.IsResourceExpired(err) || !errors.As(err, &status) {
		return ""
	}
	return status.Status().ListMeta.Continue
}

// NamespacePolicies are NetworkPolicies by namespace; it implements
// rules.NetworkPolicies.
type NamespacePolicies map[string][]*networkingv1.NetworkPolicy

// NetworkPolicies returns the namespace's NetworkPolicies.
func (n NamespacePolicies) NetworkPolicies(ns string) ([]*networkingv1.NetworkPolicy, error) {
	return n[ns], nil
}

// NetworkPolicies lists the NetworkPolicies of the audited namespaces, for
// networkPolicyCoverage. When they cannot be listed it returns nil (the
// rule then judges nothing) and the error.
func (l *Lister) NetworkPolicies(ctx context.Context) (NamespacePolicies, *ListError) {
	out := NamespacePolicies{}
	err := l.eachPage(func(o metav1.ListOptions) (string, error) {
		list, err := l.Client.NetworkingV1().NetworkPolicies(l.Namespace).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			np := &list.Items[i]
			out[np.Namespace] = append(out[np.Namespace], np)
		}
		return list.Continue, nil
	})
	if err != nil {
		return nil, &ListError{Kind: "NetworkPolicy", Err: fmt.Errorf("networkPolicyCoverage cannot judge pods: %w", err)}
	}
	return out, nil
}

// eachPage calls list with the page size, then with each continue token,
// until the last page or an error.
func (l *Lister) eachPage(list func(metav1.ListOptions) (string, error)) error {
	opts := metav1.ListOptions{Limit: l.PageSize}
	if opts.Limit <= 0 {
		opts.Limit = DefaultPageSize
	}
	for {
		next, err := list(opts)
		if err != nil || next == "" {
			return err
		}
		opts.Continue = next
	}
}

// Roles lists the Roles (of the audited namespaces) and every ClusterRole,
// for the RBAC rules: a binding is judged with the role it references. The
// index holds what could be listed; the error says what could not (its
// bindings are then judged without their roles).
func (l *Lister) Roles(ctx context.Context) (*rules.RoleIndex, *ListError) {
	idx := rules.NewRoleIndex()
	var failed []error
	if err := l.eachPage(func(o metav1.ListOptions) (string, error) {
		list, err := l.Client.RbacV1().Roles(l.Namespace).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			idx.AddRole(&list.Items[i])
		}
		return list.Continue, nil
	}); err != nil {
		failed = append(failed, fmt.Errorf("Roles: %w", err))
	}
	if err := l.eachPage(func(o metav1.ListOptions) (string, error) {
		list, err := l.Client.RbacV1().ClusterRoles().List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			idx.AddClusterRole(&list.Items[i])
		}
		return list.Continue, nil
	}); err != nil {
		failed = append(failed, fmt.Errorf("ClusterRoles: %w", err))
	}
	if len(failed) > 0 {
		return idx, &ListError{Kind: "Role", Err: fmt.Errorf("bindings are judged without the roles that could not be listed: %w", errors.Join(failed...))}
	}
	return idx, nil
}
