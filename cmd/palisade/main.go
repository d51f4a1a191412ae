// Command palisade is Palisade's one binary: the offline scanner, policy
// tools and rule catalog today; the agent and console as they land.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/platform/version"
)

// exitError carries a process exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitBlocked = 1
	exitInput   = 2
)

func badInput(err error) error { return &exitError{code: exitInput, err: err} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "palisade:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "palisade:", err)
	return exitInput
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "palisade",
		Short: "One policy for Kubernetes workloads, enforced at deploy time, while running and at runtime",
		Example: `  palisade scan --preset baseline manifests/         # judge manifests offline, in CI
  palisade scan --cluster -A --policy policy.yaml     # audit the live cluster
  palisade rules                                      # the rule catalog
  palisade demo                                       # the whole product on loopback
  source <(palisade completion bash)                  # shell completion`,
		Version:       version.Get().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newScanCmd(), newPolicyCmd(), newRulesCmd(), newAgentCmd(), newConsoleCmd(), newDemoCmd(), newRuntimeCmd(), newSensorCmd())
	root.AddCommand(newResultsCmd(), newTestCmd(), newVersionCmd())
	// Cobra prints flag warnings (a deprecated spelling) with the
	// command's output writer, which is stdout here: send them to stderr,
	// so that a report on stdout stays clean.
	visit(root, func(c *cobra.Command) { c.Flags().SetOutput(stderr) })
	return root
}

// visit calls fn on c and every command under it.
func visit(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		visit(sub, fn)
	}
}
