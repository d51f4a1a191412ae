// Package engine is Palisade's one evaluator. A policy is compiled once
// against the rule catalog; Evaluate then takes an object and a tab and
// returns findings, a decision and the messages kubectl shows. The admission
// webhook, the continuous controller, `palisade scan` and the console's
// dry-run all call it, so a denial and a report cannot disagree.
package engine
