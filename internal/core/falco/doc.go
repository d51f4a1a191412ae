// Package falco is the Falco rule language, evaluated by Palisade: rules
// files (rule, macro, list, required_engine_version,
// required_plugin_versions, append, override, enabled, exceptions,
// priority, tags, source, output) are loaded in order, checked with
// Falco's diagnostics (codes such as LOAD_ERR_COMPILE_CONDITION, naming the
// item and its line), and compiled once into conditions that evaluate an
// event without re-parsing: macros and lists are expanded, exceptions
// folded in, operands converted, and each field read at most once per event.
//
// The package is pure: event sources (the Kubernetes audit log, the syscall
// fields a Falco sensor evaluates) plug in through the Source interface.
package falco
