package clusterscan

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// Convert turns a typed object from a list into the engine's input: its
// JSON with apiVersion and kind set (list items carry no TypeMeta) and
// without metadata.managedFields (server bookkeeping no rule reads),
// decoded as for an offline scan. It sets obj's TypeMeta and drops its
// managedFields in place.
func Convert(obj runtime.Object, gvk schema.GroupVersionKind) (*workload.Object, error) {
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", gvk.Kind, err)
	}
	apiVersion, kind := gvk.ToAPIVersionAndKind()
	return workload.DecodeKind(raw, apiVersion, kind)
}
