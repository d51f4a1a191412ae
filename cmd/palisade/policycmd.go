package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/importer"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Validate and import policies",
		Example: `  palisade policy validate policy.yaml
  palisade policy import trendmicro-cluster-policy.yaml > palisade-policy.yaml
  palisade policy preset restricted`}
	cmd.AddCommand(newPolicyValidateCmd(), newPolicyImportCmd(), newPolicyPresetCmd())
	return cmd
}

func newPolicyValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Validate policy files; exit 2 with every field error",
		Example: `  palisade policy validate policy.yaml
  palisade policy validate policies/*.yaml rulesets.yaml`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: yamlFileArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := rules.Builtin()
			if err != nil {
				return err
			}
			failed := false
			for _, f := range args {
				b, err := policy.LoadFile(f, reg)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					failed = true
					continue
				}
				for _, p := range b.Policies {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: policy %q is valid\n", f, p.Metadata.Name)
				}
				for _, rs := range b.Rulesets {
					// The Falco items too, with the rule language.
					if _, diags := ruleset.Compile(rs); diags.HasErrors() {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: runtime ruleset %q:\n%v\n", f, rs.Metadata.Name, diags.Errors())
						failed = true
						continue
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: runtime ruleset %q is valid\n", f, rs.Metadata.Name)
				}
			}
			if failed {
				return &exitError{code: exitInput}
			}
			return nil
		},
	}
}

func newPolicyImportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Convert Trend Micro ClusterPolicy / RuntimeRuleset resources into a Palisade policy",
		Long: `Convert Trend Micro Container Security's policy-as-code resources (ClusterPolicy and
RuntimeRuleset, visionone.trendmicro.com/v1alpha1 or
container-security.trendmicro.com/v1alpha1) into a Palisade Policy and
RuntimeRulesets, printed as YAML. Warnings go to stderr.`,
		Example: `  palisade policy import trendmicro-cluster-policy.yaml > palisade-policy.yaml
  palisade policy validate palisade-policy.yaml`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: yamlFileArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := document.ReadFile(args[0], policy.MaxFileSize)
			if err != nil {
				return badInput(err)
			}
			res, err := importer.TrendMicro(args[0], data)
			if err != nil {
				return badInput(err)
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			out, err := res.YAML()
			if err != nil {
				return err
			}
			if _, err := cmd.OutOrStdout().Write(out); err != nil {
				return err
			}
			// The conversion is faithful; say plainly what this version's
			// catalog cannot enforce yet.
			reg, err := rules.Builtin()
			if err != nil {
				return err
			}
			if _, err := policy.Load("imported policy", out, reg); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: the imported policy does not validate against this catalog:\n%v\n", err)
			}
			return nil
		},
	}
}

func newPolicyPresetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "preset [NAME]",
		Short: "List the built-in presets, or print one as YAML",
		Example: `  palisade policy preset                                  # recommended, baseline, restricted, log-all
  palisade policy preset baseline > policy.yaml           # a starting point to edit`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: presetArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				for _, n := range policy.PresetNames() {
					fmt.Fprintln(cmd.OutOrStdout(), n)
				}
				return nil
			}
			src, err := policy.PresetSource(args[0])
			if err != nil {
				return badInput(err)
			}
			_, err = cmd.OutOrStdout().Write(src)
			return err
		},
	}
}
