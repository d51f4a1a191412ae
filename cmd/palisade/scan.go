package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/scan"
)

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }

func newScanCmd() *cobra.Command {
	var (
		policyFile, preset, output, namespace string
		workers                               int
	)
	cmd := &cobra.Command{
		Use:   "scan [PATH... | -]",
		Short: "Evaluate the deployment tab on manifests (files, folders, stdin)",
		Long: `Evaluate a policy's deployment rules on Kubernetes manifests: files, folders
(recursively: *.yaml, *.yml, *.json) or stdin ("-", the default). Multi-document
YAML, JSON, JSON arrays and List kinds are read as a stream.

Exit codes: 0 nothing blocked; 1 a block violation; 2 bad input or bad policy
(2 wins when there are both: a half-read input never passes a gate).
A broken document is reported with its file and line; the rest is still scanned.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if os.Getenv("GOGC") == "" {
				// A scan streams: its live heap stays a few MB however large
				// the corpus, so collecting less often trades ~15 MB of
				// headroom for a third less CPU (docs/performance.md).
				debug.SetGCPercent(400)
			}
			if policyFile != "" && cmd.Flags().Changed("preset") {
				return badInput(errorf("--policy and --preset are mutually exclusive"))
			}
			newWriter, ok := scan.Formats()[output]
			if !ok {
				return badInput(errorf("unknown output format %q (formats: %s)", output, strings.Join(scan.FormatNames(), ", ")))
			}
			reg, err := rules.Builtin()
			if err != nil {
				return err
			}
			compiled, err := loadPolicy(reg, policyFile, preset)
			if err != nil {
				return err
			}
			s := scan.New(scan.Options{
				Policy: compiled, Namespace: namespace, Workers: workers,
				Stdin: cmd.InOrStdin(), FieldLines: output == "sarif",
			})
			w := newWriter(cmd.OutOrStdout(), ruleInfo(reg))
			sum, err := s.Run(cmd.Context(), args, w)
			if err != nil {
				return err
			}
			switch {
			case sum.Errors > 0:
				return &exitError{code: exitInput}
			case sum.Blocked > 0:
				return &exitError{code: exitBlocked}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyFile, "policy", "", "policy file (YAML or JSON)")
	f.StringVar(&preset, "preset", "recommended", "built-in preset when --policy is not given (recommended, baseline, restricted, log-all)")
	f.StringVarP(&output, "output", "o", "table", "output format: table, json, sarif, junit")
	f.StringVar(&namespace, "namespace", "default", "namespace for objects that carry none")
	f.IntVar(&workers, "workers", 0, "parallel evaluators (0: one per CPU)")
	return cmd
}

func ruleInfo(reg *rules.Registry) func(string) (scan.RuleInfo, bool) {
	return func(id string) (scan.RuleInfo, bool) {
		r, ok := reg.Get(id)
		if !ok {
			return scan.RuleInfo{}, false
		}
		return scan.RuleInfo{ID: r.ID, Title: r.Title, Description: r.Description, Severity: string(r.Severity)}, true
	}
}
