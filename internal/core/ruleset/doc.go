// Package ruleset compiles the policy's runtime rules: RuntimeRuleset
// documents and Falco rules files, loaded in order as Falco's -r loads
// them, into named rulesets over the Kubernetes audit and syscall sources;
// and the built-in rulesets. It is pure: the console validates rulesets
// with it, and package responder evaluates them against events and acts.
package ruleset
