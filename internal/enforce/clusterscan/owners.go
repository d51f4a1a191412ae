package clusterscan

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// owners remembers the listed objects that carry a pod template, so that
// what they control is reported once, at its source. Kinds are listed
// owners first (CronJob before Job, Deployment before ReplicaSet, every
// controller before Pod), so an owner is known before what it owns.
type owners map[types.UID]struct{}

// covered reports whether m's controller was listed: then the controller
// is reported and m is not. An owner listed but itself covered still
// covers what it owns (a Deployment's ReplicaSet's Pods).
func (o owners) covered(m metav1.Object) bool {
	ref := metav1.GetControllerOfNoCopy(m)
	if ref == nil {
		return false
	}
	_, ok := o[ref.UID]
	return ok
}

// add records m as a possible owner.
func (o owners) add(m metav1.Object) { o[m.GetUID()] = struct{}{} }
