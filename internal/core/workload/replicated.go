package workload

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Replicated is what the referential rules read of a Deployment,
// StatefulSet, ReplicaSet or ReplicationController: its metadata, replicas
// and pod template labels. DecodeReplicated reads only those, several times
// faster than a whole decode: a scan's first pass reads every workload of
// its input to fill the inventory.
type Replicated struct {
	Meta metav1.ObjectMeta
	// Replicas is spec.replicas; nil when unset.
	Replicas *int32
	// Labels are spec.template.metadata.labels.
	Labels map[string]string
}

// replicatedWire is the part of a replicated workload Replicated holds.
type replicatedWire struct {
	Metadata wireMeta `json:"metadata"`
	Spec     struct {
		Replicas *int32 `json:"replicas"`
		Template *struct {
			Metadata wireMeta `json:"metadata"`
		} `json:"template"`
	} `json:"spec"`
}

// replicatedKinds are the kinds DecodeReplicated reads.
var replicatedKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "ReplicaSet": true, "ReplicationController": true}

// DecodeReplicated decodes a replicated workload's summary; nil when the
// object is of another kind, of an apiVersion Palisade does not read
// (DecodeKind's Unknown), or has no pod template.
func DecodeReplicated(raw []byte, apiVersion, kind string) (*Replicated, error) {
	if !replicatedKinds[kind] || readAs[kind] != apiVersion {
		return nil, nil
	}
	var w replicatedWire
	if err := unmarshal(raw, &w); err != nil {
		return nil, err
	}
	if w.Spec.Template == nil {
		return nil, nil // no pod template: not a workload the rules compare
	}
	return &Replicated{Meta: w.Metadata.meta(), Replicas: w.Spec.Replicas, Labels: w.Spec.Template.Metadata.Labels}, nil
}
