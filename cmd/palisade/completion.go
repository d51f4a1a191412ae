package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// Shell completion of flag values and arguments. Cobra's own `completion`
// command writes the bash, zsh, fish and PowerShell scripts; they call the
// hidden `__complete` command, which answers with these functions.

// addOutputFlag registers -o/--output with its formats, and completes them.
func addOutputFlag(cmd *cobra.Command, output *string, def string, formats ...string) {
	cmd.Flags().StringVarP(output, "output", "o", def, "output format: "+strings.Join(formats, ", "))
	completeValues(cmd, "output", formats...)
}

// completeValues completes flag name with a fixed list of values.
func completeValues(cmd *cobra.Command, name string, values ...string) {
	must(cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)))
}

// completePolicyFile completes flag name with YAML and JSON files.
func completePolicyFile(cmd *cobra.Command, name string) {
	must(cmd.MarkFlagFilename(name, "yaml", "yml", "json"))
}

// completePresetFlag completes flag name with the built-in presets.
func completePresetFlag(cmd *cobra.Command, name string) {
	must(cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return policy.PresetNames(), cobra.ShellCompDirectiveNoFileComp
	}))
}

// presetArgs completes a preset name as the first argument.
func presetArgs(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return policy.PresetNames(), cobra.ShellCompDirectiveNoFileComp
}

// ruleIDArgs completes rule IDs not given yet, with their titles.
func ruleIDArgs(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	reg, err := rules.Builtin()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	given := map[string]bool{}
	for _, a := range args {
		given[a] = true
	}
	var out []string
	for _, r := range reg.All() {
		if !given[r.ID] {
			out = append(out, cobra.CompletionWithDesc(r.ID, r.Title))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// yamlFileArgs completes policy and rules files as arguments.
func yamlFileArgs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"yaml", "yml", "json"}, cobra.ShellCompDirectiveFilterFileExt
}

// must panics on a programming error in the command tree (a completion for
// a flag that does not exist), which every test run would show.
func must(err error) {
	if err != nil {
		panic(err)
	}
}
