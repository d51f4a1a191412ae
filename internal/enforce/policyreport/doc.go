// Package policyreport turns evaluation results into per-namespace
// wgpolicyk8s.io/v1alpha2 PolicyReport summaries, the format Kubernetes
// policy tools share (Kyverno, Policy Reporter, kube-bench adapters), and
// publishes them through the dynamic client.
//
// A report holds counts and the failing resources, one result per (rule,
// resource) rather than one object per finding, and at most MaxResults
// results, so a cluster with many violations cannot flood etcd. Building is
// pure (Builder); only Publisher talks to the API server.
package policyreport
