// Package agentclient is the client side of the console's agent API: what a
// managed agent calls to long-poll its cluster's policy, deliver events and
// ask for scan results. It lives beside httpapi, which serves that API, so
// both sides of it change together; package agent only wires it in.
package agentclient
