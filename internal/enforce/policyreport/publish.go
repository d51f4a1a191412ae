package policyreport

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
)

// fieldManager names Palisade in the reports' managed fields.
const fieldManager = "palisade"

// listPage is the number of reports per list request; reports can be
// large, so pages are small.
const listPage = 100

// Publisher writes reports through the dynamic client. It needs get, list,
// create, update and delete on policyreports.wgpolicyk8s.io (or, for
// openreports.io, reports.openreports.io).
type Publisher struct {
	Client dynamic.Interface
	// API is the group the reports are written in (wgpolicyk8s.io when
	// empty).
	API API
}

// Stats count what Publish did.
type Stats struct {
	Created, Updated, Unchanged, Deleted int
}

// Publish makes Palisade's reports match reports: each is created, or
// updated when its content hash differs from the one in the cluster (an
// unchanged report is not written, so a periodic audit of a quiet cluster
// writes nothing), and Palisade's reports (label LabelManagedBy=palisade,
// name Name) in namespaces that reports no longer cover are deleted: a
// namespace where nothing is checked anymore keeps no stale failures.
// namespace limits the deletions to that namespace ("" for every
// namespace), so that an audit of one namespace leaves the others'
// reports alone.
//
// Publish goes on past a namespace it cannot write and returns the errors
// joined.
func (p *Publisher) Publish(ctx context.Context, reports []PolicyReport, namespace string) (Stats, error) {
	var st Stats
	existing, err := p.existing(ctx, namespace)
	if err != nil {
		return st, err
	}
	var errs []error
	covered := map[string]bool{}
	for i := range reports {
		r := &reports[i]
		covered[r.Namespace] = true
		cur, found := existing[r.Namespace]
		switch {
		case found && cur.hash != "" && cur.hash == r.Annotations[AnnotationHash]:
			st.Unchanged++
		case found:
			if err := p.update(ctx, r, cur.resourceVersion); err != nil {
				errs = append(errs, err)
				continue
			}
			st.Updated++
		default:
			created, err := p.create(ctx, r)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if created {
				st.Created++
			} else {
				st.Updated++
			}
		}
	}
	for _, ns := range slices.Sorted(maps.Keys(existing)) {
		if covered[ns] {
			continue
		}
		err := p.Client.Resource(p.API.gvr()).Namespace(ns).Delete(ctx, Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s %s/%s: %w", p.API.kind(), ns, Name, err))
			continue
		}
		st.Deleted++
	}
	return st, errors.Join(errs...)
}

// current is what Publish needs to know of a report in the cluster.
type current struct {
	resourceVersion, hash string
}

// existing lists Palisade's reports by namespace.
func (p *Publisher) existing(ctx context.Context, namespace string) (map[string]current, error) {
	out := map[string]current{}
	opts := metav1.ListOptions{
		LabelSelector: LabelManagedBy + "=" + managedBy,
		FieldSelector: "metadata.name=" + Name,
		Limit:         listPage,
	}
	for {
		list, err := p.Client.Resource(p.API.gvr()).Namespace(namespace).List(ctx, opts)
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("list %ss: %w (is the %s CRD installed?)", p.API.kind(), err, p.API.kind())
		}
		if err != nil {
			return nil, fmt.Errorf("list %ss: %w", p.API.kind(), err)
		}
		for i := range list.Items {
			it := &list.Items[i]
			if it.GetName() != Name {
				continue
			}
			out[it.GetNamespace()] = current{resourceVersion: it.GetResourceVersion(), hash: it.GetAnnotations()[AnnotationHash]}
		}
		if opts.Continue = list.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}

// create creates r; when a report of that name exists without Palisade's
// label (made by hand, say), it is taken over by an update, and created is
// false.
func (p *Publisher) create(ctx context.Context, r *PolicyReport) (created bool, err error) {
	u, err := p.toUnstructured(r)
	if err != nil {
		return false, err
	}
	_, err = p.Client.Resource(p.API.gvr()).Namespace(r.Namespace).Create(ctx, u, metav1.CreateOptions{FieldManager: fieldManager})
	if apierrors.IsAlreadyExists(err) {
		return false, p.update(ctx, r, "")
	}
	if err != nil {
		return false, fmt.Errorf("create %s %s/%s: %w", p.API.kind(), r.Namespace, r.Name, err)
	}
	return true, nil
}

// update replaces the report at resourceVersion, reading the current
// version when it is empty or has moved on.
func (p *Publisher) update(ctx context.Context, r *PolicyReport, resourceVersion string) error {
	u, err := p.toUnstructured(r)
	if err != nil {
		return err
	}
	client := p.Client.Resource(p.API.gvr()).Namespace(r.Namespace)
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if resourceVersion == "" {
			cur, err := client.Get(ctx, r.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			resourceVersion = cur.GetResourceVersion()
		}
		u.SetResourceVersion(resourceVersion)
		_, err := client.Update(ctx, u, metav1.UpdateOptions{FieldManager: fieldManager})
		if apierrors.IsConflict(err) {
			resourceVersion = ""
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("update %s %s/%s: %w", p.API.kind(), r.Namespace, r.Name, err)
	}
	return nil
}

// toUnstructured is r in the publisher's API's shape.
func (p *Publisher) toUnstructured(r *PolicyReport) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p.API.shape(r))
	if err != nil {
		return nil, fmt.Errorf("convert %s %s/%s: %w", p.API.kind(), r.Namespace, r.Name, err)
	}
	return &unstructured.Unstructured{Object: m}, nil
}
