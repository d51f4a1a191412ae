package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/falco/k8saudit"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
)

func newRuntimeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runtime",
		Short: "Falco-syntax runtime rules: validate rules files, replay events against them",
		Example: `  palisade runtime validate k8s_audit_rules.yaml
  palisade runtime eval --rules k8s_audit_rules.yaml audit.log`,
	}
	cmd.AddCommand(newRuntimeValidateCmd(), newRuntimeEvalCmd())
	return cmd
}

func newRuntimeValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Load Falco rules files (in order, as Falco's -r) or RuntimeRuleset documents; print every error and warning; exit 2 on error",
		Example: `  palisade runtime validate k8s_audit_rules.yaml
  palisade runtime validate falco_rules.yaml falco-incubating_rules.yaml`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: yamlFileArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rulesets, diags, err := loadRuntimeRules(args)
			if err != nil {
				return badInput(err)
			}
			w := cmd.OutOrStdout()
			for _, d := range diags {
				fmt.Fprintln(w, d.String())
			}
			errs, warns := 0, 0
			for _, d := range diags {
				if d.Severity == falco.Error {
					errs++
				} else {
					warns++
				}
			}
			for _, rs := range rulesets {
				fmt.Fprintf(w, "ruleset %s: %s\n", rs.Name, summarize(rs))
			}
			fmt.Fprintf(w, "%d errors, %d warnings\n", errs, warns)
			if errs > 0 {
				return &exitError{code: exitInput, err: errors.New("the rules do not load")}
			}
			return nil
		},
	}
}

// summarize counts a ruleset's rules by source and state: the agent
// evaluates audit rules on the events it receives, and answers the alerts a
// Falco sensor posts for the others.
func summarize(rs *ruleset.Ruleset) string {
	if rs.Rules == nil {
		return "no rules"
	}
	evaluated, sensor, disabled := 0, 0, 0
	for _, r := range rs.Own() {
		switch {
		case !r.Enabled:
			disabled++
		case r.Source == k8saudit.SourceName:
			evaluated++
		default:
			sensor++
		}
	}
	return fmt.Sprintf("%d rules evaluated on audit events, %d for a Falco sensor (acted on from its alerts), %d disabled",
		evaluated, sensor, disabled)
}

// loadRuntimeRules loads every Falco rules file together, in order (as
// Falco's -r does), and every RuntimeRuleset document on its own.
func loadRuntimeRules(paths []string) ([]*ruleset.Ruleset, falco.Diagnostics, error) {
	return ruleset.LoadSpec(ruleset.Spec{Name: "rules", Files: paths})
}

// evalAlert is one line of `palisade runtime eval`.
type evalAlert struct {
	Rule     string         `json:"rule"`
	Priority string         `json:"priority"`
	Output   string         `json:"output"`
	Time     time.Time      `json:"time"`
	Fields   map[string]any `json:"fields"`
}

func newRuntimeEvalCmd() *cobra.Command {
	var rulesFiles []string
	cmd := &cobra.Command{
		Use:   "eval --rules FILE... EVENTS",
		Short: "Replay events (audit.k8s.io/v1 EventList, JSON array or lines of audit events; Falco alert JSON) and print one JSON line per alert",
		Example: `  palisade runtime eval --rules k8s_audit_rules.yaml audit.log
  palisade runtime eval --rules my-rulesets.yaml falco-alerts.json
  palisade runtime eval --rules falco_rules.yaml - < falco-alerts.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(rulesFiles) == 0 {
				return badInput(errors.New("--rules is required"))
			}
			rulesets, diags, err := loadRuntimeRules(rulesFiles)
			if err != nil {
				return badInput(err)
			}
			if diags.HasErrors() {
				return badInput(diags.Err())
			}
			var body []byte
			if args[0] == "-" {
				if body, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), document.MaxJSONInput+1)); err == nil && len(body) > document.MaxJSONInput {
					err = fmt.Errorf("stdin: %w: more than %d MiB", document.ErrTooLarge, document.MaxJSONInput>>20)
				}
			} else {
				body, err = document.ReadFile(args[0], document.MaxJSONInput)
			}
			if err != nil {
				return badInput(err)
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			if isFalcoAlerts(body) {
				return evalAlerts(enc, rulesets, args[0], body)
			}
			return evalAudit(enc, cmd.ErrOrStderr(), rulesets, args[0], body)
		},
	}
	cmd.Flags().StringSliceVar(&rulesFiles, "rules", nil, "Falco rules files or RuntimeRuleset documents (repeat, or comma-separated)")
	completePolicyFile(cmd, "rules")
	return cmd
}

// isFalcoAlerts tells Falco alerts (which carry "rule" and "output") from
// audit events (which carry "auditID" or are an EventList).
func isFalcoAlerts(body []byte) bool {
	return bytes.Contains(body, []byte(`"rule"`)) && !bytes.Contains(body, []byte(`"auditID"`)) &&
		!bytes.Contains(body, []byte(`"EventList"`))
}

// evalAudit replays audit events. An event it cannot read is skipped with
// one line on stderr naming it, as Falco's k8saudit plugin skips it; the
// replay fails only when nothing in the input could be read.
func evalAudit(enc *json.Encoder, stderr io.Writer, rulesets []*ruleset.Ruleset, name string, body []byte) error {
	dec := k8saudit.NewDecoder()
	matchers := make([]*falco.Matcher, len(rulesets))
	for i, rs := range rulesets {
		matchers[i] = rs.Rules.NewMatcher()
	}
	var werr, firstSkip error
	events := 0
	err := dec.DecodeSkip(body, func(e *k8saudit.Event) error {
		events++
		for _, m := range matchers {
			m.Match(k8saudit.SourceName, e, func(r *falco.Rule) bool {
				werr = enc.Encode(evalAlert{Rule: r.Name, Priority: r.Priority.String(), Output: m.Output(r),
					Time: e.StageTimestamp(), Fields: m.Fields(r)})
				return werr == nil
			})
		}
		return werr
	}, func(err error) {
		if firstSkip == nil {
			firstSkip = err
		}
		fmt.Fprintf(stderr, "palisade: %s: skipped: %v\n", name, err)
	})
	switch {
	case err != nil && werr == nil:
		return badInput(fmt.Errorf("%s: %w", name, err))
	case err != nil:
		return err
	case events == 0 && firstSkip != nil:
		return badInput(fmt.Errorf("%s: no audit event could be read: %w", name, firstSkip))
	}
	return nil
}

func evalAlerts(enc *json.Encoder, rulesets []*ruleset.Ruleset, name string, body []byte) error {
	alerts, err := falco.ParseAlerts(body)
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", name, err))
	}
	for _, a := range alerts {
		for _, rs := range rulesets {
			if !rs.AnswersAlert(a.Rule) {
				continue
			}
			fields := a.OutputFields
			if fields == nil {
				fields = map[string]any{}
			}
			if err := enc.Encode(evalAlert{Rule: a.Rule, Priority: a.Priority, Output: a.Output, Time: a.Time, Fields: fields}); err != nil {
				return err
			}
			break
		}
	}
	return nil
}
