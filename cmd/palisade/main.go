// Command palisade is Palisade's one binary: the offline scanner, policy
// tools and rule catalog today; the agent and console as they land.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
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
		Use:           "palisade",
		Short:         "One policy for Kubernetes workloads, enforced at deploy time, while running and at runtime",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newScanCmd(), newPolicyCmd(), newRulesCmd(), newAgentCmd(), newConsoleCmd(), newDemoCmd(), newRuntimeCmd())
	root.AddCommand(newResultsCmd())
	root.AddCommand(newTestCmd())
	return root
}
