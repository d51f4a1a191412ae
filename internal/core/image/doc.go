// Package image normalises container image references the way the container
// runtime reads them and matches them against the conditions a policy writes
// (operator + values), so that a crafted reference cannot slip past a prefix.
package image
