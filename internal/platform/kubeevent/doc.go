// Package kubeevent records Kubernetes Events (events.k8s.io/v1) on the
// objects Palisade acts on: the pods it isolates or terminates, the
// namespaces whose segmentation it changes, the objects admission denies.
//
// Events go through client-go's events broadcaster (asynchronous, retried
// while the API server is unreachable, repeats of one event folded into an
// EventSeries) behind Palisade's own limits: a token bucket per object,
// as client-go's legacy EventCorrelator keeps, and one for the whole
// agent. What the limits hold back is counted and dropped, so a flood of
// decisions never becomes a flood of writes to the API server.
package kubeevent
