package rules

import (
	"slices"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// RoleIndex holds Roles and ClusterRoles by name: the RBAC rules judge a
// binding with the role it references through it. The scanner fills one
// with the roles it reads, the agent from informers while admission reads
// it: it is safe for concurrent use. It keeps copies of the roles it is
// given; the roles it returns must not be modified.
type RoleIndex struct {
	mu           sync.RWMutex
	roles        map[roleKey]*rbacv1.Role
	clusterRoles map[string]*indexedClusterRole
	// aggregated caches the aggregated ClusterRoles built by ClusterRole;
	// any ClusterRole change clears it.
	aggregated sync.Map // string → *rbacv1.ClusterRole
}

var _ RBACRoles = (*RoleIndex)(nil)

type roleKey struct{ namespace, name string }

// indexedClusterRole is a ClusterRole with its aggregation selectors parsed.
type indexedClusterRole struct {
	role *rbacv1.ClusterRole
	// selectors are the aggregationRule's; nil when the ClusterRole
	// aggregates nothing, or when a selector is invalid (the aggregation
	// controller then leaves its rules as they are).
	selectors []labels.Selector
}

// NewRoleIndex returns an empty index.
func NewRoleIndex() *RoleIndex {
	return &RoleIndex{roles: map[roleKey]*rbacv1.Role{}, clusterRoles: map[string]*indexedClusterRole{}}
}

// Add adds obj, or replaces the role of the same name, when obj is a Role
// or a ClusterRole, and reports whether it was one. A Role that names no
// namespace is put in defaultNamespace, where the engine judges it and its
// bindings.
func (x *RoleIndex) Add(obj *workload.Object, defaultNamespace string) bool {
	switch {
	case obj.Role != nil:
		r := obj.Role.DeepCopy()
		r.Namespace = obj.Namespace(defaultNamespace)
		x.putRole(r)
	case obj.ClusterRole != nil:
		x.AddClusterRole(obj.ClusterRole)
	default:
		return false
	}
	return true
}

// AddRole adds r, or replaces the Role of the same namespace and name.
func (x *RoleIndex) AddRole(r *rbacv1.Role) { x.putRole(r.DeepCopy()) }

func (x *RoleIndex) putRole(r *rbacv1.Role) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.roles[roleKey{r.Namespace, r.Name}] = r
}

// AddClusterRole adds r, or replaces the ClusterRole of the same name.
func (x *RoleIndex) AddClusterRole(r *rbacv1.ClusterRole) {
	e := &indexedClusterRole{role: r.DeepCopy()}
	if ar := r.AggregationRule; ar != nil {
		for i := range ar.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&ar.ClusterRoleSelectors[i])
			if err != nil {
				e.selectors = nil
				break
			}
			e.selectors = append(e.selectors, s)
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.clusterRoles[r.Name] = e
	x.aggregated.Clear()
}

// DeleteRole removes the Role of a namespace, if held.
func (x *RoleIndex) DeleteRole(namespace, name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.roles, roleKey{namespace, name})
}

// DeleteClusterRole removes the named ClusterRole, if held.
func (x *RoleIndex) DeleteClusterRole(name string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.clusterRoles, name)
	x.aggregated.Clear()
}

// Len returns how many Roles and ClusterRoles the index holds.
func (x *RoleIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.roles) + len(x.clusterRoles)
}

// Role implements RBACRoles. A nil index knows no role.
func (x *RoleIndex) Role(namespace, name string) (*rbacv1.Role, bool) {
	if x == nil {
		return nil, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	r, ok := x.roles[roleKey{namespace, name}]
	return r, ok
}

// ClusterRole implements RBACRoles; a nil index knows none. An aggregated
// ClusterRole is returned as a value holding its own rules followed by
// those of the ClusterRoles its selectors match, as the aggregation
// controller gathers them: one level, selector by selector, matches in name
// order, each rule once. It is built once and kept until a ClusterRole
// changes.
func (x *RoleIndex) ClusterRole(name string) (*rbacv1.ClusterRole, bool) {
	if x == nil {
		return nil, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.clusterRoles[name]
	if !ok {
		return nil, false
	}
	if e.selectors == nil {
		return e.role, true
	}
	if agg, ok := x.aggregated.Load(name); ok {
		return agg.(*rbacv1.ClusterRole), true
	}
	out := *e.role
	out.Rules = slices.Clone(e.role.Rules)
	for _, sel := range e.selectors {
		for _, c := range x.selected(sel, name) {
			for _, r := range c.Rules {
				if !slices.ContainsFunc(out.Rules, func(have rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(have, r) }) {
					out.Rules = append(out.Rules, r)
				}
			}
		}
	}
	// Stored under the read lock: a writer clears the cache under the
	// write lock, so a value stored here is never older than the index.
	x.aggregated.Store(name, &out)
	return &out, true
}

// selected returns the ClusterRoles other than self whose labels sel
// matches, by name. The caller holds the lock.
func (x *RoleIndex) selected(sel labels.Selector, self string) []*rbacv1.ClusterRole {
	var out []*rbacv1.ClusterRole
	for n, e := range x.clusterRoles {
		if n != self && sel.Matches(labels.Set(e.role.Labels)) {
			out = append(out, e.role)
		}
	}
	slices.SortFunc(out, func(a, b *rbacv1.ClusterRole) int { return strings.Compare(a.Name, b.Name) })
	return out
}
