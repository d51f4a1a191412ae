package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/enforce/policytest"
)

func newTestCmd() *cobra.Command {
	var output, fileName string
	cmd := &cobra.Command{
		Use:               "test [DIR | FILE]...",
		ValidArgsFunction: yamlFileArgs,
		Short:             "Run declarative policy tests: policies, manifests and the result each rule should have",
		Long: `Run the Test documents (palisade.dev/v1, kind Test) of the files given, and of
every file named palisade-test.yaml (--file-name) below the folders given
(recursively; the current folder by default), in the manner of kyverno test
and gator verify. A test names policy files or presets, manifests, the tab
(deployment by default, or continuous) and, per resource and rule, the
expected result: pass (checked, nothing found), fail (a finding, optionally
with its action and a message substring) or skip (not checked there); or the
decision (allow, block; allow, isolate, terminate on the continuous tab).
Paths in a test are relative to its file. Resources are evaluated by the same
engine as palisade scan; images' signatures are not verified (no registry is
reached). See docs/policy-testing.md.

Exit codes: 0 every case passed; 1 a case failed; 2 a test could not run as
written (a bad field, an unreadable file, a policy, rule or resource the
evaluation does not have), each problem with its file and line. 2 wins.`,
		Example: `  # every palisade-test.yaml below examples/tests
  palisade test examples/tests

  # one test file, for CI
  palisade test -o junit policy/prod-test.yaml > palisade-test.xml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			write, ok := policytest.Formats()[output]
			if !ok {
				return badInput(fmt.Errorf("unknown output format %q (formats: %s)", output, strings.Join(policytest.FormatNames(), ", ")))
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			files, err := policytest.Find(args, fileName)
			if err != nil {
				return badInput(err)
			}
			reg, err := rules.Builtin()
			if err != nil {
				return err
			}
			var reports []*policytest.Report
			for _, f := range files {
				tests, err := policytest.LoadFile(f, reg)
				if err != nil {
					reports = append(reports, &policytest.Report{Source: f, Err: err})
					continue
				}
				for _, t := range tests {
					reports = append(reports, policytest.Run(t, reg))
				}
			}
			if err := write(cmd.OutOrStdout(), reports); err != nil {
				return err
			}
			switch sum := policytest.Summarize(reports); {
			case sum.Errors > 0:
				return &exitError{code: exitInput}
			case sum.Failed > 0:
				return &exitError{code: exitBlocked}
			}
			return nil
		},
	}
	f := cmd.Flags()
	addOutputFlag(cmd, &output, "table", policytest.FormatNames()...)
	f.StringVarP(&fileName, "file-name", "f", policytest.DefaultFileName, "the test file name looked for in folders")
	return cmd
}
