// Package linediff compares two texts line by line and writes the
// difference as a unified diff, the way `diff -u` does: the console's audit
// log records each policy or ruleset edit as one.
package linediff
