// Package scan is the offline scanner: it reads manifests from files,
// folders and stdin as a stream, evaluates the deployment tab on every
// object with the one engine, and writes the report as a table, JSON,
// SARIF 2.1.0 or JUnit XML without holding the whole corpus in memory.
// A Stream feeds the same writers with objects evaluated elsewhere: a
// cluster audit (internal/enforce/clusterscan) names each by ClusterSource.
package scan
